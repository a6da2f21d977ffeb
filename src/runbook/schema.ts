/**
 * The runbook file syntax as a zod schema: the source document's
 * `Action Type: Slack` blocks (Title-Case keys) plus the operations and
 * lifecycle sections Signalroom adds. Also the source of the JSON Schema in
 * runbooks/runbook.schema.json (`signalroom runbook schema`). This describes
 * what a file may say; normalize.ts turns it into the model in types.ts.
 */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN } from './duration';

const duration = (what: string) =>
  z
    .string({ error: `expected ${DURATION_HINT}` })
    .regex(new RegExp(DURATION_PATTERN), { error: `expected ${DURATION_HINT}` })
    .describe(what);

const text = (what: string) => z.string({ error: 'expected text' }).min(1, { error: 'must not be empty' }).describe(what);

export const STEP_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';
const stepId = z
  .string({ error: 'expected a step id like notify' })
  .regex(new RegExp(STEP_ID_PATTERN), { error: 'a step id uses letters, digits, _ and - and starts with a letter' })
  .describe('Names the step so later steps can use its outputs as [steps.<id>.<output>].');

const channel = text('A channel: `#[incident.channel]` (the incident channel), `#name`, or an ID like C0123ABCD; templates allowed. Defaults to the incident channel.');
const users = z
  .array(text('A Slack user ID, `@user-group` handle, `@username` or email; templates allowed.'), { error: 'expected a list like ["@oncall", "@sre-team"]' })
  .describe('People to invite.');

const slackAction = z.literal('Slack', { error: 'this operation is a Slack action: write `Action Type: Slack`' }).optional().describe('`Slack` (optional).');
const flowAction = z.literal('Flow', { error: 'Wait is a Flow action: write `Action Type: Flow` or leave it out' }).optional().describe('`Flow` (optional).');

const common = {
  Id: stepId.optional(),
  id: stepId.optional(),
  When: text('Run the step only when this is true, e.g. `incident.severity in [SEV1, SEV2]`.').optional(),
};

export const BlockSchema = z.discriminatedUnion(
  'Type',
  [
    z.object({ Type: z.literal('section'), Text: text('mrkdwn text; templates allowed.').optional(), Fields: z.array(text('mrkdwn text; templates allowed.')).optional() }).strict(),
    z.object({ Type: z.literal('header'), Text: text('Plain text; templates allowed.') }).strict(),
    z.object({ Type: z.literal('context'), Text: text('mrkdwn text; templates allowed.') }).strict(),
    z.object({ Type: z.literal('divider') }).strict(),
  ],
  { error: 'a block has `Type: section`, `header`, `context` or `divider`' },
);

const blocks = z.array(BlockSchema).describe('Block Kit blocks: `- Type: section` with `Text:`.');

const step = <Op extends string, Shape extends z.ZodRawShape, Action extends z.ZodType = typeof slackAction>(
  operation: Op,
  description: string,
  fields: Shape,
  action: Action = slackAction as unknown as Action,
) =>
  z
    .object({ 'Action Type': action, Operation: z.literal(operation), ...common, ...fields })
    .strict()
    .describe(description);

export const CreateChannelSchema = step('Create Channel', 'Creates the incident channel; sets [incident.channel], [incident.channelId] and [incident.channelLink] (a link to the channel in messages).', {
  Name: text('Channel name, lower-case; e.g. `incident-[incident.id]`.'),
  Description: text("The channel's purpose; templates allowed.").optional(),
  AddUsers: users.optional(),
  Private: z.boolean().optional().describe('Create a private channel. Default false.'),
});

export const SendMessageSchema = step('Send Message', 'Posts a message. Outputs channel and ts.', {
  Channel: channel.optional(),
  Message: text('The message text; templates allowed.'),
  Blocks: blocks.optional(),
  Thread: text('Reply in this thread, e.g. `[steps.thread.ts]`.').optional(),
  Broadcast: z.boolean().optional().describe('Also show a thread reply in the channel. Default false.'),
});

export const CreateThreadSchema = step('Create Thread', 'Posts the root message of a thread. Outputs channel and ts.', {
  Channel: channel.optional(),
  Message: text('The root message; templates allowed.'),
  Blocks: blocks.optional(),
  ThreadUpdates: z.boolean().optional().describe("Post the incident's updates and reminders in this thread. Default false."),
});

export const UpdateMessageSchema = step('Update Message', 'Replaces the text of an earlier message.', {
  Channel: channel.optional(),
  Ts: text('The message to update, e.g. `[steps.notify.ts]`.'),
  Message: text('The new text; templates allowed.'),
  Blocks: blocks.optional(),
});

export const AddUsersSchema = step('Add Users', 'Invites people to a channel.', { Channel: channel.optional(), Users: users });

export const SetTopicSchema = step('Set Topic', "Sets a channel's topic.", { Channel: channel.optional(), Topic: text('The topic; templates allowed.') });

export const PinMessageSchema = step('Pin Message', 'Pins a message.', { Channel: channel.optional(), Ts: text('The message, e.g. `[steps.notify.ts]`.') });

export const AddBookmarkSchema = step('Add Bookmark', 'Adds a link to the channel header.', {
  Channel: channel.optional(),
  Title: text('The bookmark title; templates allowed.'),
  Link: text('An http(s) URL; templates allowed.'),
  Emoji: z.string().regex(/^:[a-z0-9_+-]+:$/, { error: 'an emoji like :bar_chart:' }).optional().describe('An emoji like :bar_chart:.'),
});

export const ArchiveChannelSchema = step('Archive Channel', 'Archives a channel (put a Wait before it to archive after a delay).', { Channel: channel.optional() });

export const ScheduleMessageSchema = step('Schedule Message', 'Has Slack post a message later (e.g. the retrospective reminder).', {
  Channel: channel.optional(),
  Message: text('The message text; templates allowed.'),
  Blocks: blocks.optional(),
  After: duration('How long after this step Slack posts it, e.g. 2d.'),
});

export const WaitSchema = step(
  'Wait',
  'Waits a duration, or until an incident event.',
  {
    Duration: duration('How long to wait, e.g. 24h.').optional(),
    For: z.enum(['resolved', 'update'], { error: 'expected `resolved` or `update`' }).optional().describe('Wait until the incident is resolved or gets an update.'),
    Timeout: duration('With For: stop waiting after this long.').optional(),
  },
  flowAction,
);

export const RequestApprovalSchema = step('Request Approval', 'The approval gate: posts an approval card and waits for approvers. Outputs status and approvedBy.', {
  Channel: channel.optional(),
  Message: text('What is being approved; templates allowed.'),
  ApproverGroups: z.array(z.string().min(1), { error: 'expected a list of approver group names from configuration' }).min(1, { error: 'name at least one approver group' }).describe('Approver group names from configuration.'),
  MinApprovals: z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).positive({ error: 'expected at least 1' }).optional().describe('Approvals needed. Default 1.'),
  Timeout: duration('How long to wait for approvers. Default 1h.').optional(),
  OnTimeout: z.enum(['reject', 'approve'], { error: 'expected `reject` or `approve`' }).optional().describe('What a timeout means. Default reject.'),
  OnReject: z.enum(['stop', 'continue'], { error: 'expected `stop` or `continue`' }).optional().describe("After a rejection: stop this section's remaining steps, or continue. Default stop."),
});

export const STEP_SCHEMAS = [
  CreateChannelSchema,
  SendMessageSchema,
  CreateThreadSchema,
  UpdateMessageSchema,
  AddUsersSchema,
  SetTopicSchema,
  PinMessageSchema,
  AddBookmarkSchema,
  ArchiveChannelSchema,
  ScheduleMessageSchema,
  WaitSchema,
  RequestApprovalSchema,
] as const;

export const StepSchema = z
  .discriminatedUnion('Operation', [...STEP_SCHEMAS], { error: 'expected a step: a map with an Operation, like `Operation: Send Message`' })
  .describe('A runbook step: `Operation` names what it does.');
export const StepListSchema = z.array(StepSchema, { error: 'expected a list of steps' });

export const INPUT_PATTERN = '^incident\\.[A-Za-z_][A-Za-z0-9_]*$';

export const RemindersSchema = z
  .object({
    every: z
      .union([duration('One interval for every severity.'), z.record(z.string(), duration('Interval for this severity.'))], {
        error: `expected ${DURATION_HINT}, or intervals by severity like { SEV1: 15m, SEV2: 30m, default: 1h }`,
      })
      .describe('How long without an update before a reminder: one duration, or by severity with `default` for the rest.'),
    channel: channel.optional(),
    message: text('The reminder; templates allowed, plus [reminder.silence] and [reminder.interval].').optional(),
  })
  .strict()
  .describe('Reminders when the incident goes without updates.');

export const RunbookObjectSchema = z
  .object({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, { error: 'a runbook name uses lowercase letters, digits, - and _' })
      .optional()
      .describe('Unique name; defaults to the file name.'),
    description: z.string().optional(),
    project: z.string().min(1).optional().describe("The project whose Slack integration runs it; unset means the organization's."),
    connector: z.string().min(1).optional().describe("A connector of the project instead of the project's default."),
    inputs: z
      .array(z.string().regex(new RegExp(INPUT_PATTERN), { error: 'an input is incident.<name>, like incident.id or incident.dashboard' }))
      .optional()
      .describe('Values the runbook needs at start. Default: incident.id, incident.title, incident.severity, incident.service, incident.description.'),
    steps: StepListSchema.min(1, { error: 'a runbook needs at least one step' }).describe('Steps run when the incident opens.'),
    onUpdate: StepListSchema.optional().describe('Steps run on each incident update ([update.text], [update.author]).'),
    onResolve: StepListSchema.optional().describe('Steps run when the incident is resolved ([resolution.summary], ...).'),
    reminders: RemindersSchema.optional(),
  })
  .strict();

/** A runbook file: a runbook object, or just a list of steps (run when the incident opens). */
export const RunbookFileSchema = z.union([RunbookObjectSchema, StepListSchema.min(1)]).describe('A Signalroom runbook.');

export type RunbookFileObject = z.infer<typeof RunbookObjectSchema>;
export type SourceStep = z.infer<typeof StepSchema>;
export type SourceBlock = z.infer<typeof BlockSchema>;

/** The JSON Schema for runbook files, as committed in runbooks/runbook.schema.json. */
export function runbookJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RunbookFileSchema, { target: 'draft-7', unrepresentable: 'any', reused: 'ref' }),
    $id: 'https://signalroom.dev/runbook.schema.json',
    title: 'Signalroom runbook',
  };
}
