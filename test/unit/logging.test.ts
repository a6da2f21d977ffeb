/**
 * What the worker's log says of a failure: a mistake Signalroom explains (a
 * channel that does not exist) is one line with its type and message, not
 * forty lines of stack in the dev terminal; anything else keeps its stack.
 */
import { Writable } from 'node:stream';
import { ApplicationFailure, ActivityFailure, RetryState } from '@temporalio/common';
import fc from 'fast-check';
import pino from 'pino';
import { createLogger, loggerOptions, skipNeedlessRedaction, temporalLogger } from '../../src/logging';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, log: temporalLogger(createLogger({ level: 'debug', destination })) };
}

test("a user's mistake that Signalroom explains is logged as its type and message, without a stack", () => {
  const { lines, log } = capture();
  const mistake = ApplicationFailure.nonRetryable('Channel #deplyos does not exist (or the bot cannot see it)', 'Slack:channel_not_found');
  log.warn('Activity failed', { activityType: 'postMessage', error: new ActivityFailure('Activity task failed', 'postMessage', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', mistake) });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 40, msg: 'Activity failed', activityType: 'postMessage', failure: { type: 'Slack:channel_not_found', message: 'Channel #deplyos does not exist (or the bot cannot see it)' } });
  expect(JSON.stringify(lines[0])).not.toContain('    at ');
});

test('an unexpected error keeps its stack, for whoever has to fix it', () => {
  const { lines, log } = capture();
  log.error('Worker failed', { error: new TypeError('cannot read properties of undefined') });
  expect(JSON.stringify(lines[0])).toContain('    at ');
  expect(lines[0]).toMatchObject({ error: { type: 'TypeError', message: 'cannot read properties of undefined' } });
});

describe('redaction, without the work where no path can reach', () => {
  /** Two loggers with Signalroom's options, one as pino makes it and one through skipNeedlessRedaction; what each writes. */
  function pair() {
    const written: string[][] = [[], []];
    const make = (i: number) => pino(loggerOptions({ timestamp: false, base: undefined }), { write: (line: string) => void written[i].push(line) });
    return { plain: make(0), fast: skipNeedlessRedaction(make(1)), written };
  }

  test('secrets are redacted at the top, one level in, and in request headers, as before', () => {
    const { fast, written } = pair();
    fast.child({ reqId: 'r1' }).info(
      {
        token: 'xoxb-top',
        integration: { botToken: 'xoxb-in', signingSecret: 'secret-in', name: 'kept' },
        click: { response_url: 'https://hooks.slack.com/actions/1', responseUrl: 'sealed', outcome: 'delivered' },
        req: { headers: { authorization: 'Bearer t', cookie: 'c', 'x-slack-signature': 'v0=abc', accept: '*/*' } },
        headers: { authorization: 'Bearer t2', 'x-slack-signature': 'v0=def' },
        count: 3,
        text: 'a "quoted" line',
      },
      'a line',
    );
    const line = JSON.parse(written[1][0]);
    expect(line).toMatchObject({
      reqId: 'r1',
      token: '[redacted]',
      integration: { botToken: '[redacted]', signingSecret: '[redacted]', name: 'kept' },
      click: { response_url: '[redacted]', responseUrl: '[redacted]', outcome: 'delivered' },
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-slack-signature': '[redacted]', accept: '*/*' } },
      headers: { authorization: '[redacted]', 'x-slack-signature': '[redacted]' },
      count: 3,
      text: 'a "quoted" line',
    });
    for (const secret of ['xoxb-top', 'xoxb-in', 'secret-in', 'hooks.slack.com', 'sealed', 'Bearer', 'v0=']) expect(written[1][0]).not.toContain(secret);
  });

  test('every line is written byte for byte as pino writes it', () => {
    const name = fc.constantFrom('token', 'botToken', 'signingSecret', 'response_url', 'responseUrl', 'headers', 'authorization', 'cookie', 'x-slack-signature', 'req', 'err', 'a', 'b', 'msg', 'toJSON');
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(name, tie('node'), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 6 }), fc.string(), (fields, msg) => {
        const { plain, fast, written } = pair();
        plain.info(fields, msg);
        fast.info(fields, msg);
        plain.child({ reqId: 'r' }).warn(fields);
        fast.child({ reqId: 'r' }).warn(fields);
        expect(written[1]).toEqual(written[0]);
      }),
      { numRuns: 1_000 },
    );
  });

  test('what JSON cannot write (a cycle, a BigInt) is still left to pino', () => {
    const { plain, fast, written } = pair();
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    for (const logger of [plain, fast]) logger.info({ cycle, big: { n: 10n } }, 'odd values');
    expect(written[1]).toEqual(written[0]);
  });
});
