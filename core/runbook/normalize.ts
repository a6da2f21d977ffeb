/**
 * From the file syntax (schema.ts, already validated) to the normalized model
 * (types.ts): Title-Case keys become fields, operations become ops,
 * durations become milliseconds, defaults are filled in. Pure.
 */
import { parseDuration } from './duration';
import type { RunbookFileObject } from './schema';
import { compact } from './steps/kind';
import { kindOfOperation, type SourceStep } from './steps/registry';
import { DEFAULT_INPUTS, type ReminderPolicy, type Runbook, type RunbookSection, type RunbookStep } from './types';

export { INCIDENT_CHANNEL } from './steps/kind';

/** The reminder text when a runbook gives none. */
export const DEFAULT_REMINDER_TEXT = ':alarm_clock: No update on incident [incident.id] for [reminder.silence]. Please post a status update.';

/** The key a step gets: `<section>/<id>` or `<section>/<n>`. */
export function stepKey(section: RunbookSection, index: number, id: string | undefined): string {
  return `${section}/${id ?? index + 1}`;
}

/** One step from file syntax to the model: its kind normalizes it. */
export function normalizeStep(source: SourceStep, section: RunbookSection, index: number): RunbookStep {
  const id = source.Id ?? source.id;
  return kindOfOperation(source.Operation).normalize(source, compact({ id, key: stepKey(section, index, id), when: source.When }));
}

function normalizeReminders(source: RunbookFileObject['reminders']): ReminderPolicy | undefined {
  if (!source) return undefined;
  const bySeverity: Record<string, number> = {};
  let defaultMs: number | undefined;
  if (typeof source.every === 'string') defaultMs = parseDuration(source.every);
  else
    for (const [severity, d] of Object.entries(source.every)) {
      if (severity === 'default') defaultMs = parseDuration(d);
      else bySeverity[severity] = parseDuration(d);
    }
  return compact({ bySeverity, defaultMs, channel: source.channel, text: source.message ?? DEFAULT_REMINDER_TEXT });
}

/**
 * A validated file (object form, or a bare step list) to the model.
 * `fallbackName` names a runbook that does not name itself (its file name).
 */
export function normalizeRunbook(source: RunbookFileObject | SourceStep[], fallbackName: string): Runbook {
  const file: RunbookFileObject = Array.isArray(source) ? { steps: source } : source;
  return compact({
    name: file.name ?? fallbackName,
    description: file.description,
    project: file.project,
    connector: file.connector,
    inputs: file.inputs ?? [...DEFAULT_INPUTS],
    steps: file.steps.map((s, i) => normalizeStep(s, 'open', i)),
    onUpdate: (file.onUpdate ?? []).map((s, i) => normalizeStep(s, 'update', i)),
    onResolve: (file.onResolve ?? []).map((s, i) => normalizeStep(s, 'resolve', i)),
    reminders: normalizeReminders(file.reminders),
  });
}
