/**
 * The normalized runbook model: what the incident workflow interprets. The
 * file syntax (Title-Case keys, `Action Type: Slack`, durations as text) is
 * turned into this by normalize.ts. Every text field marked "template" may
 * hold `[incident.x]` / `[steps.<id>.<output>]` placeholders and is rendered
 * at run time with renderTemplate (or renderStep). Plain data, JSON-safe:
 * a Runbook can be a workflow input. Pure: safe to import from workflows.
 * Each step kind's own model lives with the kind, in ./steps/.
 */
import { STEP_KINDS, type RunbookStep } from './steps/registry';

export type { RunbookStep, SourceStep } from './steps/registry';

/** The operations a step can perform, as the workflow sees them: one per kind in ./steps/registry.ts. */
export type StepOperation = RunbookStep['op'];

/** Which lifecycle section a step belongs to. */
export type RunbookSection = 'open' | 'update' | 'resolve';

/** Incident events a Wait step can wait for. */
export type IncidentEvent = 'resolved' | 'update';

/** What every step has. */
export interface StepBase {
  op: string;
  /** The step's `Id`: its outputs are `[steps.<id>.<output>]` for later steps. */
  id?: string;
  /**
   * Unique within the runbook and stable across runs: `<section>/<id>`, or
   * `<section>/<n>` (1-based) for a step without id. Use it for idempotency
   * keys and activity summaries.
   */
  key: string;
  /** The `When` condition (parse with parseCondition); the step is skipped when it is false. */
  when?: string;
}

/** A Block Kit block as a runbook writes it (`- Type: section` / `Text:`). Text is a template, mrkdwn. */
export type MessageBlock =
  | { type: 'section'; text?: string; fields?: string[] }
  | { type: 'header'; text: string }
  | { type: 'context'; text: string }
  | { type: 'divider' }
  /** A picture by URL (a dashboard graph); Slack fetches it. imageUrl, altText and title are templates. */
  | { type: 'image'; imageUrl: string; altText: string; title?: string };

/** Reminder cadence for missed incident updates. */
export interface ReminderPolicy {
  /** Interval by severity value (`SEV1` → 15 min), in ms. */
  bySeverity: Record<string, number>;
  /** Interval for any other severity; no reminders for it when unset. */
  defaultMs?: number;
  /** Template; where the reminder goes. @default the updates thread (Create Thread with ThreadUpdates), else the incident channel */
  channel?: string;
  /** Template; may use `[reminder.silence]` (how long since the last update). */
  text: string;
}

/** A validated, normalized runbook. */
export interface Runbook {
  /** Unique among the loaded runbooks; a bare step list takes its file name. */
  name: string;
  description?: string;
  /** The project whose Slack integration the runbook uses; unset means the organization-level integration. */
  project?: string;
  /** A connector of that project, instead of the project's default. */
  connector?: string;
  /** The values the runbook needs when it starts, e.g. `incident.id`. */
  inputs: string[];
  /** Steps run when the incident opens (the trigger). */
  steps: RunbookStep[];
  /** Steps run on each incident update; may use `[update.text]` and `[update.author]`. */
  onUpdate: RunbookStep[];
  /** Steps run when the incident is resolved; may use `[resolution.*]`. */
  onResolve: RunbookStep[];
  reminders?: ReminderPolicy;
}

/** The operations as runbook files write them, and their normalized op. */
export const OPERATION_NAMES: Readonly<Record<string, StepOperation>> = Object.fromEntries(STEP_KINDS.map((k) => [k.operation, k.op]));

/** What `[steps.<id>.<output>]` can name, per operation. */
export const STEP_OUTPUTS: Readonly<Record<StepOperation, readonly string[]>> = Object.fromEntries(STEP_KINDS.map((k) => [k.op, k.outputs])) as Record<StepOperation, readonly string[]>;

/** Values a Create Channel step sets on the incident. */
export const CHANNEL_OUTPUTS = ['incident.channel', 'incident.channelId', 'incident.channelLink'] as const;

/** Values the workflow provides while running each section, beyond inputs and step outputs. */
export const SECTION_VALUES: Readonly<Record<RunbookSection, readonly string[]>> = {
  open: [],
  update: ['update.text', 'update.author'],
  resolve: ['resolution.summary', 'resolution.resolvedBy', 'resolution.resolvedAt', 'resolution.duration'],
};

/** Values a reminder's text may use. */
export const REMINDER_VALUES = ['reminder.silence', 'reminder.interval'] as const;

/** Inputs assumed when a runbook declares none (e.g. a file that is just the seed's step list). */
export const DEFAULT_INPUTS = ['incident.id', 'incident.title', 'incident.severity', 'incident.service', 'incident.description'] as const;

/** The reminder interval for a severity, in ms, or undefined when that severity gets no reminders. */
export function reminderIntervalFor(policy: ReminderPolicy | undefined, severity: string | undefined): number | undefined {
  if (!policy) return undefined;
  if (severity !== undefined && Object.prototype.hasOwnProperty.call(policy.bySeverity, severity)) return policy.bySeverity[severity];
  return policy.defaultMs;
}
