/**
 * What the worker's log says of a failure: a mistake Signalroom explains (a
 * channel that does not exist) is one line with its type and message, not
 * forty lines of stack in the dev terminal; anything else keeps its stack.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ApplicationFailure, ActivityFailure, RetryState } from '@temporalio/common';
import { createLogger, temporalLogger } from '../../src/logging';

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

describe("the server's stdout, written in the background", () => {
  const root = path.resolve(__dirname, '../..');
  /** A process that logs `count` lines through backgroundStdout, then ends as `end` says; its stdout is a pipe. */
  const run = (count: number, end: string) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `require('./bin/typescript');
         const pino = require('pino');
         const { backgroundStdout, loggerOptions } = require('./src/logging.ts');
         const log = pino(loggerOptions(), backgroundStdout());
         for (let i = 0; i < ${count}; i++) log.info({ i, token: 'xoxb-not-to-be-seen' }, 'line');
         ${end}`,
      ],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );

  test.each([
    ['process.exit', 'process.exit(3)', 3],
    ['an uncaught error', "setImmediate(() => { throw new Error('boom') })", 1],
  ])('every line is out when the process ends with %s', (_how, end, status) => {
    const r = run(20_000, end);
    expect(r.status).toBe(status);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i: number; token: string });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(lines.every((l) => l.token === '[redacted]')).toBe(true);
  });
});
