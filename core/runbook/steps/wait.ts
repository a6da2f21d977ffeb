/** Wait: a durable timer, or until an incident event (optionally bounded). Outputs `event`: the event, or `timeout`. */
import { formatDuration, parseDuration } from '../duration';
import type { IncidentEvent, StepBase } from '../types';
import { compact, defineStepKind } from './kind';

export type WaitStep = StepBase & { op: 'wait' } & (
    | { durationMs: number; event?: undefined; timeoutMs?: undefined }
    | { event: IncidentEvent; timeoutMs?: number; durationMs?: undefined }
  );

export const wait = defineStepKind({
  operation: 'Wait',
  op: 'wait',
  schema: ({ z, stepSchema, duration, flowAction }) => stepSchema(
    'Wait',
    'Waits a duration, or until an incident event.',
    {
      Duration: duration('How long to wait, e.g. 24h.').optional(),
      For: z.enum(['resolved', 'update'], { error: 'expected `resolved` or `update`' }).optional().describe('Wait until the incident is resolved or gets an update.'),
      Timeout: duration('With For: stop waiting after this long.').optional(),
    },
    flowAction,
  ),
  outputs: ['event'],
  activities: [],
  docs: { fields: { Duration: 'e.g. `24h`', For: '`resolved` or `update`, instead of `Duration`', Timeout: 'with `For`' }, outputs: { event: '`resolved`, `update` or `timeout`' } },
  verb: 'waiting',
  channel: 'none',
  plainFields: ['Duration', 'For', 'Timeout'],
  normalize: (s, base): WaitStep =>
    s.For
      ? compact({ op: 'wait' as const, ...base, event: s.For, timeoutMs: s.Timeout === undefined ? undefined : parseDuration(s.Timeout) })
      : compact({ op: 'wait' as const, ...base, durationMs: parseDuration(s.Duration ?? '0s') }),
  check(s, c) {
    if ((s.Duration === undefined) === (s.For === undefined)) c.report(undefined, 'a Wait needs either Duration (e.g. 30m) or For (resolved or update), not both');
    else if (s.Timeout !== undefined && s.For === undefined) c.report('Timeout', 'Timeout bounds a Wait For an event; a Wait with a Duration has none');
  },
  async run(step, rt) {
    if (step.durationMs !== undefined) {
      await rt.sleep(step.durationMs, `waiting ${formatDuration(step.durationMs)}`);
      return { outputs: { event: 'timeout' } };
    }
    const happened = await rt.waitForEvent(step.event, step.timeoutMs);
    return { outputs: { event: happened ? step.event : 'timeout' } };
  },
});
