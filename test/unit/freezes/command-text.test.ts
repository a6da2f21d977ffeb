/** `/signalroom freeze create …` words as a freeze request (src/freezes/command-text.ts), checked by the shared schema. */
import { FreezeCommandUsage, freezeRequestFromWords } from '../../../src/freezes/command-text';
import { parseFreezeRequest } from '../../../src/freezes/request';
import { FreezeInvalid } from '../../../src/freezes/errors';

const words = (text: string) => text.trim().split(/\s+/);

test('options take every word up to the next: a reason and a cron need no quotes; lists split on commas and spaces', () => {
  expect(freezeRequestFromWords(words('nightly --stages production,staging --services checkout web --cron 0 22 * * * --duration 8h --tz Europe/Berlin --reason Quiet hours, please'))).toEqual({
    name: 'nightly',
    stages: ['production', 'staging'],
    services: ['checkout', 'web'],
    cron: '0 22 * * *',
    duration: '8h',
    timeZone: 'Europe/Berlin',
    reason: 'Quiet hours, please',
  });
});

test('curly quotes, long dashes and Slack\'s entities are read as typed', () => {
  expect(freezeRequestFromWords(words('bf —stages production --services * --from 2027-11-26T00:00 --until 2027-11-30T00:00 --tz Europe/Berlin --reason “Black Friday &amp; Cyber Monday”'))).toMatchObject({
    stages: ['production'],
    services: ['*'],
    reason: 'Black Friday & Cyber Monday',
  });
});

test('an unknown or repeated option, or a stray word, is bad usage', () => {
  expect(() => freezeRequestFromWords(words('x --stage production'))).toThrow(new FreezeCommandUsage('unknown option --stage (did you mean "stages"?)'));
  expect(() => freezeRequestFromWords(words('x --tz UTC --tz Europe/Berlin'))).toThrow('--tz is given twice');
  expect(() => freezeRequestFromWords(words('x y --tz UTC'))).toThrow('"y" is neither the name nor an option');
});

test('the request is checked by the same schema and rules as the API: the field is named', () => {
  const now = Date.parse('2027-01-01T00:00:00Z');
  const request = freezeRequestFromWords(words('nightly --stages production --services * --cron 0 22 * * * --duration 8h --reason Quiet'));
  expect(() => parseFreezeRequest(request, { createdBy: 'U0ALICE' }, now)).toThrow(new FreezeInvalid([{ field: 'timeZone', message: 'a recurring freeze names the time zone its cron runs in (like Europe/Berlin, or UTC)' }]));
  const ok = parseFreezeRequest({ ...request, timeZone: 'europe/berlin' }, { createdBy: 'U0ALICE' }, now);
  expect(ok).toMatchObject({ timeZone: 'Europe/Berlin', window: { kind: 'recurring', cron: '0 22 * * *', durationMs: 8 * 3_600_000 }, createdAt: '2027-01-01T00:00:00.000Z' });
  try {
    parseFreezeRequest({ ...request, timeZone: 'UTC', reason: 'r'.repeat(501) }, { createdBy: 'U0ALICE' }, now);
    throw new Error('not refused');
  } catch (err) {
    expect(err).toBeInstanceOf(FreezeInvalid);
    expect((err as FreezeInvalid).field).toBe('reason');
  }
});
