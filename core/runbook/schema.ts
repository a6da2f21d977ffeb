/**
 * The runbook file syntax as a zod schema: the source document's
 * `Action Type: Slack` blocks (Title-Case keys) plus the operations and
 * lifecycle sections Signalroom adds. Also the source of the JSON Schema in
 * runbooks/runbook.schema.json (`signalroom runbook schema`). This describes
 * what a file may say; normalize.ts turns it into the model in types.ts.
 * Each step's own syntax lives with its kind in ./steps/.
 */
import { z } from 'zod';
import { DURATION_HINT } from './duration';
import { STEP_KINDS } from './steps/registry';
import { channel, duration, STEP_SYNTAX, text } from './steps/syntax';

export { STEP_ID_PATTERN } from './steps/kind';
export { BlockSchema } from './steps/syntax';

/** Each kind's schema, from the registry (./steps/registry.ts), built from the shared syntax. */
type KindSchema = ReturnType<(typeof STEP_KINDS)[number]['schema']>;
export const STEP_SCHEMAS = STEP_KINDS.map((k) => k.schema(STEP_SYNTAX)) as unknown as [KindSchema, ...KindSchema[]];

export const StepSchema = z
  .discriminatedUnion('Operation', STEP_SCHEMAS, { error: 'expected a step: a map with an Operation, like `Operation: Send Message`' })
  .meta({ id: 'Step', description: 'A runbook step: `Operation` names what it does.' });
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
  .meta({ id: 'Reminders', description: 'Reminders when the incident goes without updates.' });

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
  .strict()
  .meta({ id: 'Runbook' });

/** A runbook file: a runbook object, or just a list of steps (run when the incident opens). */
export const RunbookFileSchema = z.union([RunbookObjectSchema, StepListSchema.min(1)]).describe('A Signalroom runbook.');

export type RunbookFileObject = z.infer<typeof RunbookObjectSchema>;
export type { SourceStep } from './steps/registry';
export type { SourceBlock } from './steps/syntax';

/**
 * The JSON Schema for runbook files, as committed in runbooks/runbook.schema.json.
 * Its definitions are the named schemas (`.meta({ id })`: each step kind,
 * `Step`, `Channel`, `Block`…); anything else is written where it is used,
 * so no definition is numbered and a new kind leaves the others as they were.
 */
export function runbookJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RunbookFileSchema, { target: 'draft-7', unrepresentable: 'any', reused: 'inline' }),
    $id: 'https://signalroom.dev/runbook.schema.json',
    title: 'Signalroom runbook',
  };
}
