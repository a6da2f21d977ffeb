/**
 * The normalized runbook model: what the incident workflow interprets. The
 * file syntax (Title-Case keys, `Action Type: Slack`, durations as text) is
 * turned into this by normalize.ts. Every text field marked "template" may
 * hold `[incident.x]` / `[steps.<id>.<output>]` placeholders and is rendered
 * at run time with renderTemplate (or renderStep). Plain data, JSON-safe:
 * a Runbook can be a workflow input. Pure types: safe to import from workflows.
 */

/** The operations a step can perform, as the workflow sees them. */
export type StepOperation =
  | 'createChannel'
  | 'sendMessage'
  | 'createThread'
  | 'updateMessage'
  | 'addUsers'
  | 'setTopic'
  | 'pinMessage'
  | 'addBookmark'
  | 'archiveChannel'
  | 'scheduleMessage'
  | 'wait'
  | 'requestApproval';

/** Which lifecycle section a step belongs to. */
export type RunbookSection = 'open' | 'update' | 'resolve';

/** Incident events a Wait step can wait for. */
export type IncidentEvent = 'resolved' | 'update';

/** What every step has. */
export interface StepBase {
  op: StepOperation;
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
  | { type: 'divider' };

/**
 * Create Channel. Sets `[incident.channel]` (the name), `[incident.channelId]` and
 * `[incident.channelLink]` (`<#C…>`, which Slack shows as a link to the channel).
 */
export interface CreateChannelStep extends StepBase {
  op: 'createChannel';
  /** Template; normalized like Slack's UI (lower-case, spaces to hyphens) by the activity. */
  name: string;
  /** Template; becomes the channel's purpose. */
  description?: string;
  /** Templates: Slack user IDs, `@user-group` handles, `@username`s or emails. */
  addUsers: string[];
  /** @default false */
  private: boolean;
}

/** Send Message. Outputs `channel` (ID) and `ts`. */
export interface SendMessageStep extends StepBase {
  op: 'sendMessage';
  /** Template: a channel ID, `#name` or `name`. */
  channel: string;
  /** Template; the notification text (also the fallback for blocks). */
  text: string;
  blocks?: MessageBlock[];
  /** Template: reply in this thread, e.g. `[steps.thread.ts]`. */
  threadTs?: string;
  /** Also show a threaded reply in the channel. @default false */
  broadcast: boolean;
}

/** Create Thread: posts the thread's root message. Outputs `channel` and `ts` (the thread). */
export interface CreateThreadStep extends StepBase {
  op: 'createThread';
  channel: string;
  text: string;
  blocks?: MessageBlock[];
  /** Post the incident's updates (and reminders) as replies in this thread. @default false */
  threadUpdates: boolean;
}

/** Update Message: replaces an earlier message's text. Outputs `channel` and `ts`. */
export interface UpdateMessageStep extends StepBase {
  op: 'updateMessage';
  channel: string;
  /** Template, e.g. `[steps.notify.ts]`. */
  ts: string;
  text: string;
  blocks?: MessageBlock[];
}

/** Add Users: invites people to a channel. */
export interface AddUsersStep extends StepBase {
  op: 'addUsers';
  channel: string;
  /** Templates, as CreateChannelStep.addUsers. */
  users: string[];
}

/** Set Topic. */
export interface SetTopicStep extends StepBase {
  op: 'setTopic';
  channel: string;
  topic: string;
}

/** Pin Message. */
export interface PinMessageStep extends StepBase {
  op: 'pinMessage';
  channel: string;
  ts: string;
}

/** Add Bookmark: a link in the channel header (dashboard, status page, doc). */
export interface AddBookmarkStep extends StepBase {
  op: 'addBookmark';
  channel: string;
  title: string;
  /** Template; an http(s) URL once rendered. */
  link: string;
  /** An emoji like `:bar_chart:`. */
  emoji?: string;
}

/** Archive Channel. To archive after a delay, put a Wait step before it. */
export interface ArchiveChannelStep extends StepBase {
  op: 'archiveChannel';
  channel: string;
}

/** Schedule Message: Slack posts it `afterMs` after the step runs. Outputs `channel`, `scheduledMessageId`, `postAt` (epoch seconds). */
export interface ScheduleMessageStep extends StepBase {
  op: 'scheduleMessage';
  channel: string;
  text: string;
  blocks?: MessageBlock[];
  afterMs: number;
}

/** Wait: a durable timer, or until an incident event (optionally bounded). Outputs `event`: the event, or `timeout`. */
export type WaitStep = StepBase & { op: 'wait' } & (
    | { durationMs: number; event?: undefined; timeoutMs?: undefined }
    | { event: IncidentEvent; timeoutMs?: number; durationMs?: undefined }
  );

/**
 * Request Approval: the approval gate. Posts an approval card and waits for
 * approvers from the named groups. Outputs `status` (`approved`, `rejected`
 * or `expired`) and `approvedBy` (Slack user IDs).
 */
export interface RequestApprovalStep extends StepBase {
  op: 'requestApproval';
  /** Template; where the card goes. @default the incident channel */
  channel?: string;
  /** Template: what is being approved. */
  text: string;
  /** Approver group names from configuration (`approverGroups`). */
  approverGroups: string[];
  /** @default 1 */
  minApprovals: number;
  /** @default 1h */
  timeoutMs: number;
  /** What a timeout means. @default 'reject' */
  onTimeout: 'reject' | 'approve';
  /** After a rejection (or a timeout that rejects): stop the section's remaining steps, or continue. @default 'stop' */
  onReject: 'stop' | 'continue';
}

/** One step of a runbook, discriminated by `op`. */
export type RunbookStep =
  | CreateChannelStep
  | SendMessageStep
  | CreateThreadStep
  | UpdateMessageStep
  | AddUsersStep
  | SetTopicStep
  | PinMessageStep
  | AddBookmarkStep
  | ArchiveChannelStep
  | ScheduleMessageStep
  | WaitStep
  | RequestApprovalStep;

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
export const OPERATION_NAMES: Readonly<Record<string, StepOperation>> = {
  'Create Channel': 'createChannel',
  'Send Message': 'sendMessage',
  'Create Thread': 'createThread',
  'Update Message': 'updateMessage',
  'Add Users': 'addUsers',
  'Set Topic': 'setTopic',
  'Pin Message': 'pinMessage',
  'Add Bookmark': 'addBookmark',
  'Archive Channel': 'archiveChannel',
  'Schedule Message': 'scheduleMessage',
  Wait: 'wait',
  'Request Approval': 'requestApproval',
};

/** What `[steps.<id>.<output>]` can name, per operation. */
export const STEP_OUTPUTS: Readonly<Record<StepOperation, readonly string[]>> = {
  createChannel: ['channel', 'name', 'link'],
  sendMessage: ['channel', 'ts'],
  createThread: ['channel', 'ts'],
  updateMessage: ['channel', 'ts'],
  addUsers: ['channel'],
  setTopic: ['channel'],
  pinMessage: ['channel', 'ts'],
  addBookmark: ['channel'],
  archiveChannel: ['channel'],
  scheduleMessage: ['channel', 'scheduledMessageId', 'postAt'],
  wait: ['event'],
  requestApproval: ['status', 'approvedBy'],
};

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
