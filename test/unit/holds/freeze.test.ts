/**
 * Freeze windows in their time zone (core/holds/freeze.ts): one-off wall
 * times and recurring windows across the clock changes of Europe/Berlin and
 * America/New_York, both ways, and the refusals that name their field.
 */
import { describeWindow, freezeProblems, parseFreezeTime, windowAtOrAfter, windowsFrom, type FreezeInput, type FreezeWindowSpec } from '../../../core/holds/freeze';

const at = (text: string) => Date.parse(text);
const hours = (w: { start: string; end: string }) => (Date.parse(w.end) - Date.parse(w.start)) / 3_600_000;
const H = 3_600_000;

function freeze(window: FreezeWindowSpec, timeZone = 'Europe/Berlin', extra: Partial<FreezeInput> = {}): FreezeInput {
  return { name: 'nightly', stages: ['production'], services: ['*'], reason: 'Quiet hours', createdBy: 'U0ALICE', createdAt: '2027-01-01T00:00:00.000Z', timeZone, window, ...extra };
}

/** A one-off time typed in a zone, as an ISO instant (or the refusal). */
function instant(text: string, zone: string): string {
  const parsed = parseFreezeTime(text, zone);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return new Date(parsed.ms).toISOString();
}

describe('one-off wall times', () => {
  test('Europe/Berlin, spring forward: 22:00 to 06:00 is 21:00Z to 04:00Z, seven hours', () => {
    expect(instant('2027-03-27T22:00', 'Europe/Berlin')).toBe('2027-03-27T21:00:00.000Z');
    expect(instant('2027-03-28T06:00', 'Europe/Berlin')).toBe('2027-03-28T04:00:00.000Z');
  });

  test('Europe/Berlin, fall back: 22:00 to 06:00 is 20:00Z to 05:00Z, nine hours', () => {
    expect(instant('2027-10-30T22:00', 'Europe/Berlin')).toBe('2027-10-30T20:00:00.000Z');
    expect(instant('2027-10-31T06:00', 'Europe/Berlin')).toBe('2027-10-31T05:00:00.000Z');
  });

  test('America/New_York both ways', () => {
    expect(instant('2027-03-13T22:00', 'America/New_York')).toBe('2027-03-14T03:00:00.000Z');
    expect(instant('2027-03-14T06:00', 'America/New_York')).toBe('2027-03-14T10:00:00.000Z');
    expect(instant('2027-11-06T22:00', 'America/New_York')).toBe('2027-11-07T02:00:00.000Z');
    expect(instant('2027-11-07T06:00', 'America/New_York')).toBe('2027-11-07T11:00:00.000Z');
  });

  test('a time with an offset is that instant whatever the zone; a date alone is its midnight', () => {
    expect(instant('2027-03-28T02:30+01:00', 'Europe/Berlin')).toBe('2027-03-28T01:30:00.000Z');
    expect(instant('2027-11-26T00:00Z', 'America/New_York')).toBe('2027-11-26T00:00:00.000Z');
    expect(instant('2027-11-26', 'Europe/Berlin')).toBe('2027-11-25T23:00:00.000Z');
  });

  test('a time the clocks skip or repeat is refused, naming the offsets to choose from', () => {
    expect(parseFreezeTime('2027-03-28T02:30', 'Europe/Berlin')).toEqual({ problem: '2027-03-28T02:30 does not exist in Europe/Berlin: the clocks skip it (+01:00 to +02:00); give a time outside the skipped hour' });
    expect(parseFreezeTime('2027-10-31T02:30', 'Europe/Berlin')).toEqual({
      problem: '2027-10-31T02:30 happens twice in Europe/Berlin (the clocks go back): give its offset, 2027-10-31T02:30+02:00 (the first) or 2027-10-31T02:30+01:00 (the second)',
    });
    expect(parseFreezeTime('2027-03-14T02:30', 'America/New_York')).toEqual({ problem: expect.stringContaining('does not exist in America/New_York') });
    expect(parseFreezeTime('2027-11-07T01:30', 'America/New_York')).toEqual({ problem: expect.stringContaining('2027-11-07T01:30-04:00 (the first) or 2027-11-07T01:30-05:00 (the second)') });
  });

  test('a wall time without a zone, and text that is no time, are refused', () => {
    expect(parseFreezeTime('2027-11-26T00:00', undefined)).toEqual({ problem: expect.stringContaining('has no offset: name the time zone') });
    expect(parseFreezeTime('next friday', 'UTC')).toEqual({ problem: expect.stringContaining('is not a time like 2027-11-26T00:00') });
    expect(parseFreezeTime('2027-02-30T00:00', 'UTC')).toEqual({ problem: '"2027-02-30T00:00" is not a date and time that exists' });
  });

  test('the window lists both ways: in its zone and in UTC', () => {
    const w = { start: instant('2027-03-27T22:00', 'Europe/Berlin'), end: instant('2027-03-28T06:00', 'Europe/Berlin') };
    expect(hours(w)).toBe(7);
    expect(describeWindow(w, 'Europe/Berlin')).toBe('Sat 2027-03-27 22:00 +01:00 → Sun 2027-03-28 06:00 +02:00 Europe/Berlin (2027-03-27 21:00Z → 2027-03-28 04:00Z)');
  });
});

describe('recurring windows in their zone', () => {
  const nightly = (timeZone: string) => freeze({ kind: 'recurring', cron: '0 22 * * *', durationMs: 8 * H }, timeZone);

  test('Europe/Berlin, spring forward: the nightly window starts at 22:00 local every night and ends at 06:00 local', () => {
    const windows = windowsFrom(nightly('Europe/Berlin'), at('2027-03-26T12:00:00Z'), 3);
    expect(windows).toEqual([
      { start: '2027-03-26T21:00:00.000Z', end: '2027-03-27T05:00:00.000Z' },
      { start: '2027-03-27T21:00:00.000Z', end: '2027-03-28T04:00:00.000Z' },
      { start: '2027-03-28T20:00:00.000Z', end: '2027-03-29T04:00:00.000Z' },
    ]);
    expect(windows.map(hours)).toEqual([8, 7, 8]);
  });

  test('Europe/Berlin, fall back: the night of the change holds nine hours', () => {
    const windows = windowsFrom(nightly('Europe/Berlin'), at('2027-10-30T12:00:00Z'), 2);
    expect(windows).toEqual([
      { start: '2027-10-30T20:00:00.000Z', end: '2027-10-31T05:00:00.000Z' },
      { start: '2027-10-31T21:00:00.000Z', end: '2027-11-01T05:00:00.000Z' },
    ]);
    expect(windows.map(hours)).toEqual([9, 8]);
  });

  test('America/New_York both ways', () => {
    expect(windowsFrom(nightly('America/New_York'), at('2027-03-13T12:00:00Z'), 2)).toEqual([
      { start: '2027-03-14T03:00:00.000Z', end: '2027-03-14T10:00:00.000Z' },
      { start: '2027-03-15T02:00:00.000Z', end: '2027-03-15T10:00:00.000Z' },
    ]);
    expect(windowsFrom(nightly('America/New_York'), at('2027-11-06T12:00:00Z'), 2)).toEqual([
      { start: '2027-11-07T02:00:00.000Z', end: '2027-11-07T11:00:00.000Z' },
      { start: '2027-11-08T03:00:00.000Z', end: '2027-11-08T11:00:00.000Z' },
    ]);
  });

  test('weekends (0 0 * * 6 for 48h) end at Monday 00:00 local across the change', () => {
    const weekends = freeze({ kind: 'recurring', cron: '0 0 * * 6', durationMs: 48 * H });
    const windows = windowsFrom(weekends, at('2027-03-22T00:00:00Z'), 2);
    expect(windows).toEqual([
      { start: '2027-03-26T23:00:00.000Z', end: '2027-03-28T22:00:00.000Z' },
      { start: '2027-04-02T22:00:00.000Z', end: '2027-04-04T22:00:00.000Z' },
    ]);
    expect(windows.map((w) => describeWindow(w, 'Europe/Berlin').split(' Europe/Berlin')[0])).toEqual(['Sat 2027-03-27 00:00 +01:00 → Mon 2027-03-29 00:00 +02:00', 'Sat 2027-04-03 00:00 +02:00 → Mon 2027-04-05 00:00 +02:00']);
  });

  test('a start the clocks skip is the moment they jump; one they repeat holds once, the first time', () => {
    const early = freeze({ kind: 'recurring', cron: '30 2 * * *', durationMs: H });
    expect(windowsFrom(early, at('2027-03-27T12:00:00Z'), 1)).toEqual([{ start: '2027-03-28T01:00:00.000Z', end: '2027-03-28T02:00:00.000Z' }]);
    expect(windowsFrom(early, at('2027-10-30T12:00:00Z'), 2)).toEqual([
      { start: '2027-10-31T00:30:00.000Z', end: '2027-10-31T02:30:00.000Z' },
      { start: '2027-11-01T01:30:00.000Z', end: '2027-11-01T02:30:00.000Z' },
    ]);
  });

  test('the window holding now is the one returned, until it ends; from and until bound the recurrence', () => {
    const spec = nightly('Europe/Berlin');
    expect(windowAtOrAfter(spec, at('2027-03-27T23:00:00Z'))).toEqual({ start: '2027-03-27T21:00:00.000Z', end: '2027-03-28T04:00:00.000Z' });
    expect(windowAtOrAfter(spec, at('2027-03-28T04:00:00Z'))).toEqual({ start: '2027-03-28T20:00:00.000Z', end: '2027-03-29T04:00:00.000Z' });
    const bounded = freeze({ kind: 'recurring', cron: '0 22 * * *', durationMs: 8 * H, from: '2027-03-28T00:00:00.000Z', until: '2027-03-30T00:00:00.000Z' });
    expect(windowsFrom(bounded, at('2027-03-20T00:00:00Z'), 5)).toEqual([
      { start: '2027-03-28T20:00:00.000Z', end: '2027-03-29T04:00:00.000Z' },
      { start: '2027-03-29T20:00:00.000Z', end: '2027-03-30T00:00:00.000Z' },
    ]);
    expect(windowAtOrAfter(bounded, at('2027-03-30T00:00:00Z'))).toBeUndefined();
  });
});

describe('refusals name their field', () => {
  const now = at('2027-01-01T00:00:00Z');
  const once = (from: string, until: string): FreezeWindowSpec => ({ kind: 'once', from, until });
  const recurring = (cron: string, durationMs: number): FreezeWindowSpec => ({ kind: 'recurring', cron, durationMs });
  const fields = (input: FreezeInput) => freezeProblems(input, now).map((p) => p.field);

  test('a valid one-off and a valid recurring freeze have no problems', () => {
    expect(freezeProblems(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z')), now)).toEqual([]);
    expect(freezeProblems(freeze(recurring('0 0 * * 6', 48 * H)), now)).toEqual([]);
  });

  test('an invalid time zone', () => {
    expect(freezeProblems(freeze(recurring('0 22 * * *', 8 * H), 'Europe/Berlim'), now)).toEqual([{ field: 'timeZone', message: '"Europe/Berlim" is not an IANA time zone (like Europe/Berlin, America/New_York or UTC)' }]);
  });

  test('an invalid cron: out of range, the wrong number of fields, a nickname, one that never fires', () => {
    expect(freezeProblems(freeze(recurring('61 22 * * *', H)), now)).toEqual([{ field: 'cron', message: '"61 22 * * *" is not a cron expression croner reads: Invalid value for minute: 61' }]);
    expect(freezeProblems(freeze(recurring('0 0 22 * * *', H)), now)).toEqual([{ field: 'cron', message: expect.stringContaining('is not a 5-field cron expression') }]);
    expect(fields(freeze(recurring('@weekly', H)))).toEqual(['cron']);
    expect(freezeProblems(freeze(recurring('0 0 30 2 *', H)), now)).toEqual([{ field: 'cron', message: '"0 0 30 2 *" starts no window within 366d' }]);
  });

  test('until before from', () => {
    expect(freezeProblems(freeze(once('2027-03-28T04:00:00Z', '2027-03-27T21:00:00Z')), now)).toEqual([{ field: 'until', message: '2027-03-27T21:00:00Z is not after from (2027-03-28T04:00:00Z)' }]);
    expect(fields(freeze({ kind: 'recurring', cron: '0 22 * * *', durationMs: H, from: '2027-05-01T00:00:00Z', until: '2027-04-01T00:00:00Z' }))).toEqual(['until']);
  });

  test('a cron every minute, windows that would run into each other, a duration out of bounds', () => {
    expect(freezeProblems(freeze(recurring('* * * * *', 30_000 * 2)), now)).toEqual([
      { field: 'cron', message: '"* * * * *" starts windows 1m apart (2027-01-01T00:00:00.000Z and 2027-01-01T00:01:00.000Z); a freeze\'s windows start at least 1h apart' },
    ]);
    expect(fields(freeze(recurring('*/30 9 * * *', 10 * 60_000)))).toEqual(['cron']);
    expect(freezeProblems(freeze(recurring('0 0 * * *', 24 * H)), now)).toEqual([{ field: 'duration', message: expect.stringContaining('windows of 1d would run into each other') }]);
    expect(fields(freeze(recurring('0 0 1 * *', 31 * 24 * H)))).toEqual(['duration']);
    expect(fields(freeze(recurring('0 0 * * *', 30_000)))).toEqual(['duration']);
  });

  test('a ten-year one-off, one already over, one starting past a year from now', () => {
    expect(freezeProblems(freeze(once('2027-01-02T00:00:00Z', '2037-01-02T00:00:00Z')), now)).toEqual([{ field: 'until', message: 'a one-off freeze holds at most 90d, and this one 3653d: end it sooner, or make it recurring' }]);
    expect(fields(freeze(once('2026-12-01T00:00:00Z', '2026-12-02T00:00:00Z')))).toEqual(['until']);
    expect(fields(freeze(once('2028-06-01T00:00:00Z', '2028-06-02T00:00:00Z')))).toEqual(['from']);
  });

  test('name, reason, stages and services out of bounds; a creator who is no Slack user id', () => {
    expect(fields(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z'), 'UTC', { name: 'Black Friday' }))).toEqual(['name']);
    expect(fields(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z'), 'UTC', { name: 'x'.repeat(64) }))).toEqual(['name']);
    expect(fields(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z'), 'UTC', { reason: 'r'.repeat(501) }))).toEqual(['reason']);
    expect(fields(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z'), 'UTC', { services: Array.from({ length: 101 }, (_, i) => `svc-${i}`) }))).toEqual(['services']);
    expect(fields(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z'), 'UTC', { stages: ['prod uction'] }))).toEqual(['stages']);
    expect(fields(freeze(once('2027-03-27T21:00:00Z', '2027-03-28T04:00:00Z'), 'UTC', { createdBy: 'alice' }))).toEqual(['createdBy']);
  });
});
