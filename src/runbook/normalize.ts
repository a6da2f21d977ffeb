/**
 * From the file syntax (schema.ts, already validated) to the normalized model
 * (types.ts): Title-Case keys become fields, operations become ops,
 * durations become milliseconds, defaults are filled in. Pure.
 */
import { parseDuration } from './duration';
import type { RunbookFileObject, SourceBlock, SourceStep } from './schema';
import { DEFAULT_INPUTS, OPERATION_NAMES, type MessageBlock, type ReminderPolicy, type Runbook, type RunbookSection, type RunbookStep } from './types';

/** The channel a step uses when it names none: the one Create Channel made. */
export const INCIDENT_CHANNEL = '#[incident.channel]';

/** The reminder text when a runbook gives none. */
export const DEFAULT_REMINDER_TEXT = ':alarm_clock: No update on incident [incident.id] for [reminder.silence]. Please post a status update.';

const DEFAULT_APPROVAL_TIMEOUT = '1h';

/** The key a step gets: `<section>/<id>` or `<section>/<n>`. */
export function stepKey(section: RunbookSection, index: number, id: string | undefined): string {
  return `${section}/${id ?? index + 1}`;
}

function normalizeBlocks(blocks: SourceBlock[] | undefined): MessageBlock[] | undefined {
  if (!blocks) return undefined;
  return blocks.map((b): MessageBlock => {
    switch (b.Type) {
      case 'section':
        return { type: 'section', ...(b.Text !== undefined && { text: b.Text }), ...(b.Fields !== undefined && { fields: b.Fields }) };
      case 'header':
        return { type: 'header', text: b.Text };
      case 'context':
        return { type: 'context', text: b.Text };
      case 'divider':
        return { type: 'divider' };
    }
  });
}

/** Drops undefined fields so the model stays compact and JSON round-trips equal. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One step from file syntax to the model. */
export function normalizeStep(source: SourceStep, section: RunbookSection, index: number): RunbookStep {
  const id = source.Id ?? source.id;
  const base = { id, key: stepKey(section, index, id), when: source.When };
  const op = OPERATION_NAMES[source.Operation];
  const channelOf = (s: { Channel?: string }) => s.Channel ?? INCIDENT_CHANNEL;
  switch (source.Operation) {
    case 'Create Channel':
      return compact({ op: 'createChannel', ...base, name: source.Name, description: source.Description, addUsers: source.AddUsers ?? [], private: source.Private ?? false });
    case 'Send Message':
      return compact({
        op: 'sendMessage',
        ...base,
        channel: channelOf(source),
        text: source.Message,
        blocks: normalizeBlocks(source.Blocks),
        threadTs: source.Thread,
        broadcast: source.Broadcast ?? false,
      });
    case 'Create Thread':
      return compact({ op: 'createThread', ...base, channel: channelOf(source), text: source.Message, blocks: normalizeBlocks(source.Blocks), threadUpdates: source.ThreadUpdates ?? false });
    case 'Update Message':
      return compact({ op: 'updateMessage', ...base, channel: channelOf(source), ts: source.Ts, text: source.Message, blocks: normalizeBlocks(source.Blocks) });
    case 'Add Users':
      return compact({ op: 'addUsers', ...base, channel: channelOf(source), users: source.Users });
    case 'Set Topic':
      return compact({ op: 'setTopic', ...base, channel: channelOf(source), topic: source.Topic });
    case 'Pin Message':
      return compact({ op: 'pinMessage', ...base, channel: channelOf(source), ts: source.Ts });
    case 'Add Bookmark':
      return compact({ op: 'addBookmark', ...base, channel: channelOf(source), title: source.Title, link: source.Link, emoji: source.Emoji });
    case 'Archive Channel':
      return compact({ op: 'archiveChannel', ...base, channel: channelOf(source) });
    case 'Schedule Message':
      return compact({ op: 'scheduleMessage', ...base, channel: channelOf(source), text: source.Message, blocks: normalizeBlocks(source.Blocks), afterMs: parseDuration(source.After) });
    case 'Wait':
      if (source.For) return compact({ op: 'wait', ...base, event: source.For, timeoutMs: source.Timeout === undefined ? undefined : parseDuration(source.Timeout) });
      return compact({ op: 'wait', ...base, durationMs: parseDuration(source.Duration ?? '0s') });
    case 'Request Approval':
      return compact({
        op: 'requestApproval',
        ...base,
        channel: channelOf(source),
        text: source.Message,
        approverGroups: source.ApproverGroups,
        minApprovals: source.MinApprovals ?? 1,
        timeoutMs: parseDuration(source.Timeout ?? DEFAULT_APPROVAL_TIMEOUT),
        onTimeout: source.OnTimeout ?? 'reject',
        onReject: source.OnReject ?? 'stop',
      });
    default:
      throw new Error(`no normalization for operation ${String(op)}`);
  }
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
