/**
 * What a step kind is: one module holds its file syntax (a zod schema), its
 * normalized model, its validation beyond the schema, its outputs and how it
 * runs. Every kind is listed once in ./registry.ts; the parser, the
 * validator, the JSON Schema and the incident workflow read that table.
 *
 * Pure: the workflow bundles these modules, so running a step goes through
 * the StepRuntime the workflow hands in (activities, timers, child
 * workflows), never through an import of Temporal or Node.
 */
import { z } from 'zod';
import type { Activities } from '../../../activities';
import { DURATION_HINT, DURATION_PATTERN } from '../duration';
import type { IncidentEvent, MessageBlock, RunbookSection, StepBase } from '../types';

// ---- the file syntax shared by the kinds ----

export const duration = (what: string) =>
  z
    .string({ error: `expected ${DURATION_HINT}` })
    .regex(new RegExp(DURATION_PATTERN), { error: `expected ${DURATION_HINT}` })
    .describe(what);

export const text = (what: string) => z.string({ error: 'expected text' }).min(1, { error: 'must not be empty' }).describe(what);

export const STEP_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';
const stepId = z
  .string({ error: 'expected a step id like notify' })
  .regex(new RegExp(STEP_ID_PATTERN), { error: 'a step id uses letters, digits, _ and - and starts with a letter' })
  .describe('Names the step so later steps can use its outputs as [steps.<id>.<output>].');

export const channel = text('A channel: `#[incident.channel]` (the incident channel), `#name`, or an ID like C0123ABCD; templates allowed. Defaults to the incident channel.');
export const users = z
  .array(text('A Slack user ID, `@user-group` handle, `@username` or email; templates allowed.'), { error: 'expected a list like ["@oncall", "@sre-team"]' })
  .describe('People to invite.');

export const slackAction = z.literal('Slack', { error: 'this operation is a Slack action: write `Action Type: Slack`' }).optional().describe('`Slack` (optional).');
export const flowAction = z.literal('Flow', { error: 'Wait is a Flow action: write `Action Type: Flow` or leave it out' }).optional().describe('`Flow` (optional).');

const common = {
  Id: stepId.optional(),
  id: stepId.optional(),
  When: text('Run the step only when this is true, e.g. `incident.severity in [SEV1, SEV2]`.').optional(),
};

/** Fields every step may have that are not templates. */
export const PLAIN_COMMON_FIELDS = ['Action Type', 'Operation', 'Id', 'id', 'When'] as const;

/** A step's schema: `Action Type`, `Operation`, `Id`, `When` and the kind's own fields; unknown keys are refused. */
export const stepSchema = <Op extends string, Shape extends z.ZodRawShape, Action extends z.ZodType = typeof slackAction>(
  operation: Op,
  description: string,
  fields: Shape,
  action: Action = slackAction as unknown as Action,
) =>
  z
    .object({ 'Action Type': action, Operation: z.literal(operation), ...common, ...fields })
    .strict()
    .describe(description);

/** The channel a step uses when it names none: the one Create Channel made. */
export const INCIDENT_CHANNEL = '#[incident.channel]';

/** Drops undefined fields so the model stays compact and JSON round-trips equal. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// ---- validation beyond the schema ----

/** What a kind's own check may use: report a problem at one of its fields. */
export interface StepCheck {
  /** `field` is the step's own field (`Link`), or undefined for the whole step. */
  report(field: string | undefined, message: string): void;
  /** Is this text free of placeholders (so it can be checked as written)? */
  isLiteral(value: string): boolean;
}

// ---- running ----

/** What a step's outputs look like: `[steps.<id>.<output>]`. */
export type StepOutputs = Record<string, string | string[]>;

export interface StepResult {
  outputs: StepOutputs;
  /** What the timeline says after the step's key (default `done`). */
  label?: string;
  /** Stop the section's remaining steps (a rejected approval). */
  stop?: boolean;
}

/** The Slack activities, as the workflow proxies them for one step (with that step's summary). */
export type StepActivities = Pick<Activities, 'createChannelCanvas' | 'prepareUpload' | 'shareUpload' | 'createChannel' | 'inviteUsers' | 'postMessage' | 'updateMessage' | 'setChannelTopic' | 'pinMessage' | 'addBookmark' | 'archiveChannel' | 'scheduleMessage'>;

/** Block Kit as the message activities take it. */
export type SlackBlocks = Parameters<Activities['postMessage']>[0]['blocks'];

/** What the approval child workflow answers, as far as a step needs it. */
export interface ApprovalOutcome {
  status: string;
  decisions: Array<{ verb: string; user: { id: string } }>;
}

/**
 * What the incident workflow hands a running step. Everything durable
 * (activities, timers, conditions, child workflows) comes through here.
 */
export interface StepRuntime {
  /** Unique per run of the step (`<pass>/<key>`): the idempotency key of its Slack effects. */
  idempotencyKey: string;
  section: RunbookSection;
  integration: string;
  /** The incident record, live: Create Channel sets channel and channelId on it. */
  incident: Record<string, string>;
  /** For data only the workflow holds: the incident's id, or the workflow id. */
  incidentRef: string;
  runbookName: string;
  openedAt: number;
  now(): number;
  /** Renders plain text (names, ids, URLs, plain_text): values as they are. */
  render(template: string): string;
  /** Renders Slack message text (mrkdwn): the runbook's markup, every value escaped. */
  mrkdwn(template: string): string;
  /** Renders a channel; the incident channel by its ID once it exists (no name lookup per step). */
  channel(template: string): string;
  /** Runbook blocks as Block Kit, templates rendered. */
  blocks(blocks: MessageBlock[] | undefined, message?: string): SlackBlocks;
  slack: StepActivities;
  /** Records a problem in the timeline (after the step's title) without failing the step. */
  noteError(text: string): void;
  /** Temporal's patched(): a kind that changes what it sends to Temporal keeps recorded runs on the old path. */
  patched(id: string): boolean;
  /** What went wrong, for the timeline: an activity's cause (Slack's explanation) rather than the wrapper. */
  failureMessage(err: unknown): string;
  /** Temporal's isCancellation(): a cancelled step must not be recorded as a failure and go on. */
  isCancellation(err: unknown): boolean;
  /** `<#C…>`: how Slack links a channel in a message. */
  channelLink(channelId: string): string;
  sleep(ms: number, summary: string): Promise<void>;
  /** Waits for an incident event; false when the timeout came first. */
  waitForEvent(event: IncidentEvent, timeoutMs?: number): Promise<boolean>;
  /** Runs an approval as a child workflow named after the step and pass. */
  requestApproval(input: { summary: string; approverGroups: string[]; minApprovals: number; timeoutMs: number; onTimeout: 'reject' | 'approve'; channel: string }): Promise<ApprovalOutcome>;
  /** Adds an action item to the incident and posts it, with its Done button, in `channel`. */
  addActionItem(input: { channel: string; text: string; owner?: string }): Promise<{ id: number; channel?: string; ts?: string }>;
  /** The incident's postmortem in Markdown, from its record as it stands now. */
  postmortem(): string;
  /** Incident updates and reminders go to this thread from now on. */
  useThreadForUpdates(channel: string, ts: string): void;
}

/**
 * One step kind. `Source` is what the file says (the schema's type), `Step`
 * the normalized model the workflow interprets.
 */
export interface StepKind<Source extends { Operation: string } = { Operation: string }, Step extends StepBase = StepBase> {
  /** As runbook files write it: `Send Message`. */
  operation: Source['Operation'];
  /** As the model names it: `sendMessage`. */
  op: Step['op'];
  schema: z.ZodObject<z.ZodRawShape> & z.ZodType<Source>;
  /** What `[steps.<id>.<output>]` can name. */
  outputs: readonly string[];
  /** What the Temporal UI's timeline says the step's Slack call is doing. */
  verb: string;
  /**
   * How the step relates to a channel: `uses` one (its `Channel`, default the
   * incident channel), `creates` it (`Name`), or `none` (Wait).
   */
  channel: 'uses' | 'creates' | 'none';
  /** Fields of the kind that are not templates (beyond Action Type, Operation, Id, When). */
  plainFields: readonly string[];
  normalize(source: Source, base: Pick<StepBase, 'id' | 'key' | 'when'>): Step;
  /** Problems a schema cannot see (one field excludes another, a URL that is not one). */
  check?(source: Source, check: StepCheck): void;
  run(step: Step, runtime: StepRuntime): Promise<StepResult>;
}

/** Declares a kind with its types inferred from the schema and the normalize function. */
export function defineStepKind<S extends z.ZodObject<z.ZodRawShape>, Step extends StepBase>(
  kind: Omit<StepKind<z.infer<S> & { Operation: string }, Step>, 'schema'> & { schema: S },
): StepKind<z.infer<S> & { Operation: string }, Step> & { schema: S } {
  return kind as never;
}
