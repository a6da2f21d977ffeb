/**
 * The file syntax the step kinds share, as zod schemas: text, durations,
 * channels, people, a step's common fields and the message kinds' `Blocks:`.
 * A kind builds its schema from these (`schema: ({ stepSchema, text }) =>
 * …`) when the parser asks for it (../schema.ts).
 *
 * Only the parser, the validator and the JSON Schema load this module. The
 * kinds import it for its type alone: the incident workflow bundles every
 * kind for its `run`, and a module it loads is evaluated again in each
 * cached workflow's context (zod and fifteen schemas came to about 1.5 MiB
 * per incident in the worker).
 */
import { z } from 'zod';
import { DURATION_HINT, DURATION_PATTERN, MAX_DURATION_MS, formatDuration, parseDuration } from '../duration';
import { STEP_ID_PATTERN } from './kind';

export const duration = (what: string) =>
  z
    .string({ error: `expected ${DURATION_HINT}` })
    .regex(new RegExp(DURATION_PATTERN), { error: `expected ${DURATION_HINT}` })
    .refine((text) => !new RegExp(DURATION_PATTERN).test(text) || parseDurationOrUndefined(text) !== undefined, { error: `expected at most ${formatDuration(MAX_DURATION_MS)}` })
    .describe(what);

function parseDurationOrUndefined(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

export const text = (what: string) => z.string({ error: 'expected text' }).min(1, { error: 'must not be empty' }).describe(what);

const stepId = z
  .string({ error: 'expected a step id like notify' })
  .regex(new RegExp(STEP_ID_PATTERN), { error: 'a step id uses letters, digits, _ and - and starts with a letter' })
  .describe('Names the step so later steps can use its outputs as [steps.<id>.<output>].')
  .meta({ id: 'StepId' });

export const channel = text('A channel: `#[incident.channel]` (the incident channel), `#name`, or an ID like C0123ABCD; templates allowed. Defaults to the incident channel.').meta({ id: 'Channel' });
export const users = z
  .array(text('A Slack user ID, `@user-group` handle, `@username` or email; templates allowed.'), { error: 'expected a list like ["@oncall", "@sre-team"]' })
  .describe('People to invite.')
  .meta({ id: 'Users' });

export const slackAction = z.literal('Slack', { error: 'this operation is a Slack action: write `Action Type: Slack`' }).optional().describe('`Slack` (optional).');
export const flowAction = z.literal('Flow', { error: 'Wait is a Flow action: write `Action Type: Flow` or leave it out' }).optional().describe('`Flow` (optional).');

const common = {
  Id: stepId.optional(),
  id: stepId.optional(),
  When: text('Run the step only when this is true, e.g. `incident.severity in [SEV1, SEV2]`.').meta({ id: 'When' }).optional(),
};

/**
 * A step's schema: `Action Type`, `Operation`, `Id`, `When` and the kind's own
 * fields; unknown keys are refused. Named after its operation in the JSON
 * Schema (`Send Message` → `SendMessageStep`), so a new kind adds a
 * definition there instead of renumbering the others.
 */
export const stepSchema = <Op extends string, Shape extends z.ZodRawShape, Action extends z.ZodType = typeof slackAction>(
  operation: Op,
  description: string,
  fields: Shape,
  action: Action = slackAction as unknown as Action,
) =>
  z
    .object({ 'Action Type': action, Operation: z.literal(operation), ...common, ...fields })
    .strict()
    .meta({ id: schemaId(operation, 'Step'), description });

/** `Send Message` → `SendMessageStep`: a JSON Schema definition's name. */
export function schemaId(name: string, suffix = ''): string {
  return name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase()) + suffix;
}

/** The `Blocks:` field the message kinds share: `- Type: section` / `Text:` in the file, MessageBlock in the model (./blocks.ts). */
export const BlockSchema = z.discriminatedUnion(
  'Type',
  [
    z.object({ Type: z.literal('section'), Text: text('mrkdwn text; templates allowed.').optional(), Fields: z.array(text('mrkdwn text; templates allowed.')).optional() }).strict(),
    z.object({ Type: z.literal('header'), Text: text('Plain text; templates allowed.') }).strict(),
    z.object({ Type: z.literal('context'), Text: text('mrkdwn text; templates allowed.') }).strict(),
    z.object({ Type: z.literal('divider') }).strict(),
    z
      .object({
        Type: z.literal('image'),
        ImageUrl: text('An http(s) URL of the image, e.g. a dashboard panel render; templates allowed.'),
        AltText: text('What the image shows, for screen readers and notifications; templates allowed.'),
        Title: text('A title shown above the image; templates allowed.').optional(),
      })
      .strict(),
  ],
  { error: 'a block has `Type: section`, `header`, `context`, `divider` or `image`' },
).meta({ id: 'Block' });

export const blocks = z.array(BlockSchema).meta({ id: 'Blocks', description: 'Block Kit blocks: `- Type: section` with `Text:`.' });

export type SourceBlock = z.infer<typeof BlockSchema>;

/** The fields every posting kind shares: where, what, and its blocks. */
export const messageFields = (what: string) => ({ Channel: channel.optional(), Message: text(what), Blocks: blocks.optional() });

/** What a kind's `schema` is built from. */
export const STEP_SYNTAX = { z, stepSchema, text, duration, channel, users, flowAction, blocks, messageFields };
export type StepSyntax = typeof STEP_SYNTAX;
