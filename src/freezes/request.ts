/**
 * A freeze request as the CLI, the API and `/signalroom freeze create` take
 * it: one zod shape (the API wraps it in strictBody) and one function that
 * makes the workflow's input of it, reading times in the freeze's zone and
 * asking core/holds/freeze.ts what is wrong. Every entry refuses the same
 * request with the same message, naming the same field.
 */
import { z } from 'zod';
import {
  FREEZE_LIMITS,
  FREEZE_NAME_PATTERN,
  FREEZE_SCOPE_PATTERN,
  canonicalTimeZone,
  freezeProblems,
  isTimeZone,
  parseFreezeTime,
  type FreezeCaller,
  type FreezeInput,
  type FreezeProblem,
  type FreezeWindowSpec,
} from '../../core/holds/freeze';
import { DURATION_HINT, parseDuration } from '../../core/runbook/duration';
import { FreezeInvalid } from './errors';

const ScopeName = z.string().min(1).max(FREEZE_LIMITS.scopeName).regex(FREEZE_SCOPE_PATTERN, 'letters, digits, . _ : / - (or * for any)');
const Time = (what: string) => z.string().min(1).max(40).describe(what);

/** The fields of a freeze request: the API's body, the CLI's options, the slash command's flags. */
export const FREEZE_REQUEST_SHAPE = {
  name: z
    .string()
    .min(1)
    .max(FREEZE_LIMITS.name)
    .regex(FREEZE_NAME_PATTERN, 'lowercase letters, digits and inner dashes, like black-friday')
    .describe('The freeze\'s name: its workflow id is `freeze:<name>`.'),
  stages: z.array(ScopeName).min(1).max(FREEZE_LIMITS.stages).describe('Stages it holds, e.g. `["production"]`, or `["*"]`.'),
  services: z.array(ScopeName).min(1).max(FREEZE_LIMITS.services).describe('Services it holds, or `["*"]` for all.'),
  reason: z.string().min(1).max(FREEZE_LIMITS.reason).describe('Why: shown on every approval card it holds.'),
  timeZone: z
    .string()
    .min(1)
    .max(FREEZE_LIMITS.timeZone)
    .optional()
    .describe('The IANA time zone its times are read, its cron run and its windows shown in (`Europe/Berlin`). Required for a cron, and for a `from` or `until` without an offset. @default UTC'),
  from: Time('One-off: when it starts (`2027-11-26T00:00` in `timeZone`, or with an offset). Recurring: no window starts before it.').optional(),
  until: Time('One-off: when it ends. Recurring: no window holds past it.').optional(),
  cron: z.string().min(1).max(FREEZE_LIMITS.cron).optional().describe('Recurring: a 5-field cron expression in `timeZone` (`0 22 * * *`); windows start at least 1h apart.'),
  duration: z.string().min(1).max(20).optional().describe(`Recurring: how long each window holds on the zone's wall clock, ${DURATION_HINT} (at most 30d).`),
};

export const FreezeRequestSchema = z.object(FREEZE_REQUEST_SHAPE);
export type FreezeRequest = z.infer<typeof FreezeRequestSchema>;

/** Who makes a freeze: the Slack user it is made as, and the token or operator through which. */
export interface FreezeAuthor {
  createdBy: string;
  caller?: FreezeCaller;
}

/** The request's first zod problems as freeze problems (the field is the request's own: `reason`, `services`). */
export function schemaProblems(error: z.ZodError): FreezeProblem[] {
  return error.issues.map((issue) => ({ field: issue.path.length ? String(issue.path[0]) : 'request', message: issue.message }));
}

/**
 * Checks a request with the shared schema and makes the workflow's input of
 * it; throws FreezeInvalid naming the field otherwise. For the CLI and the
 * slash command (the API's body schema has already run).
 */
export function parseFreezeRequest(raw: unknown, author: FreezeAuthor, nowMs: number): FreezeInput {
  const parsed = FreezeRequestSchema.safeParse(raw);
  if (!parsed.success) throw new FreezeInvalid(schemaProblems(parsed.error));
  return freezeInputOf(parsed.data, author, nowMs);
}

/** The workflow's input of a request that passed the schema: times read in its zone, then every rule of core/holds/freeze.ts. */
export function freezeInputOf(request: FreezeRequest, author: FreezeAuthor, nowMs: number): FreezeInput {
  const problems: FreezeProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const recurring = request.cron !== undefined || request.duration !== undefined;
  if (request.cron !== undefined && request.duration === undefined) add('duration', 'a recurring freeze needs the duration of each window (like 8h)');
  if (request.cron === undefined && request.duration !== undefined) add('cron', 'a duration goes with a cron expression (a recurring freeze); a one-off freeze has from and until');
  if (!recurring && request.from === undefined) add('from', 'a one-off freeze needs from and until (or a cron and a duration for a recurring one)');
  if (!recurring && request.until === undefined) add('until', 'a one-off freeze needs from and until (or a cron and a duration for a recurring one)');
  if (recurring && request.timeZone === undefined) add('timeZone', 'a recurring freeze names the time zone its cron runs in (like Europe/Berlin, or UTC)');
  let zone = request.timeZone;
  if (zone !== undefined) {
    if (isTimeZone(zone)) zone = canonicalTimeZone(zone);
    else add('timeZone', `"${zone}" is not an IANA time zone (like Europe/Berlin, America/New_York or UTC)`);
  }
  if (problems.length) throw new FreezeInvalid(problems);

  const time = (field: 'from' | 'until', text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    const parsed = parseFreezeTime(text, zone);
    if ('problem' in parsed) {
      add(field, parsed.problem);
      return undefined;
    }
    return new Date(parsed.ms).toISOString();
  };
  const from = time('from', request.from);
  const until = time('until', request.until);
  let durationMs = 0;
  if (request.duration !== undefined) {
    try {
      durationMs = parseDuration(request.duration);
    } catch (err) {
      add('duration', (err as Error).message);
    }
  }
  if (problems.length) throw new FreezeInvalid(problems);

  const window: FreezeWindowSpec = recurring
    ? { kind: 'recurring', cron: request.cron!.trim(), durationMs, ...(from ? { from } : {}), ...(until ? { until } : {}) }
    : { kind: 'once', from: from!, until: until! };
  const input: FreezeInput = {
    name: request.name,
    stages: [...new Set(request.stages)],
    services: [...new Set(request.services)],
    reason: request.reason.trim(),
    createdBy: author.createdBy,
    ...(author.caller ? { caller: author.caller } : {}),
    createdAt: new Date(nowMs).toISOString(),
    timeZone: zone ?? 'UTC',
    window,
  };
  const found = freezeProblems(input, nowMs);
  if (found.length) throw new FreezeInvalid(found);
  return input;
}

/** What two requests for the same name must agree on for the second to join the first (a retried create). */
export function freezeRequestFields(input: FreezeInput): Record<string, unknown> {
  return { stages: input.stages, services: input.services, reason: input.reason, timeZone: input.timeZone, window: input.window, createdBy: input.createdBy };
}
