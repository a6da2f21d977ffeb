/**
 * Child of test/reliability/log-lines-survive-crash.test.ts: logs two lines
 * the way a Signalroom process does (`worker`: src/logging.ts's logger, as
 * the worker's; `server`: the HTTP server's, as `signalroom server` builds
 * it), then is killed outright, as an out-of-memory kill or `kill -9` would.
 */
import { createLogger } from '../../src/logging';
import { buildServer } from '../../src/server/app';
import type { Client } from '@temporalio/client';

async function main() {
  const kind = process.argv[2];
  const log = kind === 'server' ? (await buildServer({ temporal: {} as Client, signingSecrets: ['s'] })).log : createLogger();
  log.info({ seq: 1 }, 'first line');
  log.info({ seq: 2 }, 'last line before the kill');
  process.kill(process.pid, 'SIGKILL');
}

void main();
