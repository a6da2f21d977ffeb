import { formatDuration, isDuration, parseDuration } from '../../../core/runbook/duration';
import { reminderIntervalFor } from '../../../core/runbook/types';

describe('durations', () => {
  test.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['30', '15 minutes', '1x', '', 'h', '-5m'])('"%s" is refused', (text) => {
    expect(isDuration(text)).toBe(false);
    expect(() => parseDuration(text)).toThrow(`"${text}" is not a duration like 30s, 15m, 1h, 2d or 1h30m`);
  });

  test.each([
    [0, '0s'],
    [250, '250ms'],
    [30_000, '30s'],
    [5_400_000, '1h30m'],
    [90_061_000, '1d1h1m1s'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('reminder intervals depend on severity, with a default', () => {
    const policy = { bySeverity: { SEV1: 900_000, SEV2: 1_800_000 }, defaultMs: 3_600_000, text: '' };
    expect(reminderIntervalFor(policy, 'SEV1')).toBe(900_000);
    expect(reminderIntervalFor(policy, 'SEV3')).toBe(3_600_000);
    expect(reminderIntervalFor({ ...policy, defaultMs: undefined }, 'SEV3')).toBeUndefined();
    expect(reminderIntervalFor(undefined, 'SEV1')).toBeUndefined();
  });
});
