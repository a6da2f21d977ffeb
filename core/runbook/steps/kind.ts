/**
 * What a step kind is: one module holds its file syntax (a zod schema), its
 * normalized model, its validation beyond the schema, its outputs, the
 * activities it calls, its line in the README's step table and how it runs.
 * Every kind is listed once, one line in ./kinds.ts; the parser, the
 * validator, the JSON Schema, the README's table, the tests and the incident
 * workflow read that list through ./registry.ts.
 *
 * Pure: the workflow bundles these modules, so running a step goes through
 * the StepRuntime the workflow hands in (activities, timers, child
 * workflows), never through an import of Temporal or Node. Nor of zod: a
 * kind's schema is a function of the shared syntax (./syntax.ts), which only
 * the parser loads.
 */
import type { z } from 'zod';
import type { Activities } from '../../../activities';
import type { StepSyntax } from './syntax';
import type { IncidentEvent, MessageBlock, RunbookSection, StepBase } from '../types';

// ---- the file syntax ----

/** A step id as a file writes it (`Id: notify`). */
export const STEP_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';

/** Fields every step may have that are not templates. */
export const PLAIN_COMMON_FIELDS = ['Action Type', 'Operation', 'Id', 'id', 'When'] as const;

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

/** An activity a step may call through `runtime.slack`. */
export type ActivityName = keyof Activities;

/** Block Kit as the message activities take it. */
export type SlackBlocks = Parameters<Activities['postMessage']>[0]['blocks'];

/** A post as the postMessage activity takes it, and what it answers. */
export type PostInput = Parameters<Activities['postMessage']>[0];
export type Posted = Awaited<ReturnType<Activities['postMessage']>>;

/**
 * A kind whose whole effect is one post says so apart from `run`: what it
 * posts, rendered, and its result once posted (`run` is those two around
 * `rt.slack.postMessage`). The incident workflow may then make the posts of
 * consecutive such steps in one local activity, when none uses another's
 * outputs (docs/ARCHITECTURE.md, "The path of a runbook step").
 */
export interface PostStep<Step> {
  /** The post, rendered; no Slack call. */
  input(step: Step, runtime: StepRuntime<'postMessage'>): PostInput;
  /** The step's result once its post is made. */
  done(step: Step, runtime: StepRuntime<'postMessage'>, posted: Posted): StepResult;
}

/** What the approval child workflow answers, as far as a step needs it. */
export interface ApprovalOutcome {
  status: string;
  decisions: Array<{ verb: string; user: { id: string } }>;
  /** May what it gates go on? The approval's one answer (absent only in results recorded before it existed). */
  proceed?: boolean;
}

/**
 * What the incident workflow hands a running step. Everything durable
 * (activities, timers, conditions, child workflows) comes through here.
 * `A` is what a kind declares in `activities`: the only ones its `run` can
 * call, so the list cannot fall behind the code.
 */
export interface StepRuntime<A extends ActivityName = ActivityName> {
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
  /** The activities the kind declared, as the workflow proxies them for this step (with the step's summary). */
  slack: Pick<Activities, A>;
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
  /** Records people the incident added (Slack user ids): they may change it from Slack (SECURITY.md). */
  addMembers(userIds: readonly string[]): void;
}

/**
 * The kind's row in the README's step table (generated from the registry:
 * `npm run runbook-reference`). The fields and outputs come from the schema
 * and `outputs`; these are short notes said after a name, as in
 * `Thread` (a ts to reply to).
 */
export interface StepDocs<Field extends string = string, Output extends string = string> {
  fields?: Partial<Record<Field, string>>;
  outputs?: Partial<Record<Output, string>>;
}

/**
 * One step kind. `Source` is what the file says (the schema's type), `Step`
 * the normalized model the workflow interprets, `A` the activities it calls.
 */
export interface StepKind<Source extends { Operation: string } = { Operation: string }, Step extends StepBase = StepBase, A extends ActivityName = ActivityName> {
  /** As runbook files write it: `Send Message`. */
  operation: Source['Operation'];
  /** As the model names it: `sendMessage`. */
  op: Step['op'];
  /**
   * Builds the kind's file syntax from the shared pieces (./syntax.ts). A
   * function, so that this module never loads zod: the incident workflow
   * bundles every kind for its `run`, in every workflow's context.
   */
  schema(syntax: StepSyntax): z.ZodObject<z.ZodRawShape> & z.ZodType<Source>;
  /** What `[steps.<id>.<output>]` can name. */
  outputs: readonly string[];
  /** The activities `run` calls through `runtime.slack` (the Slack methods the kind needs). */
  activities: readonly A[];
  /** Notes for the README's step table; the kind's one-line description is its schema's. */
  docs?: StepDocs<Exclude<keyof Source & string, (typeof PLAIN_COMMON_FIELDS)[number]>>;
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
  run(step: Step, runtime: StepRuntime<A>): Promise<StepResult>;
  /** For a kind whose whole effect is one post (see PostStep). */
  post?: PostStep<Step>;
}

/** Declares a kind with its types inferred from the schema, the normalize function and the activities it lists. */
export function defineStepKind<S extends z.ZodObject<z.ZodRawShape>, Step extends StepBase, A extends ActivityName = never>(
  kind: Omit<StepKind<z.infer<S> & { Operation: string }, Step, A>, 'schema'> & { schema: (syntax: StepSyntax) => S },
): StepKind<z.infer<S> & { Operation: string }, Step, A> & { schema: (syntax: StepSyntax) => S } {
  return kind as never;
}
