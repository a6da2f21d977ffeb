/**
 * Child of test/reliability/log-reader-stalls.test.ts: logs 100 MB of lines
 * as fast as it can, the way a Signalroom process logs (`worker`: the
 * worker's logger; `server`: the HTTP server's, as `signalroom server`
 * builds it), and prints on stderr how much its memory grew meanwhile.
 */
import { createLogger } from '../../src/logging';
import { buildServer } from '../../src/server/app';
import type { Client } from '@temporalio/client';

async function main() {
  const log = process.argv[2] === 'server' ? (await buildServer({ temporal: {} as Client, signingSecrets: ['s'] })).log : createLogger();
  const before = process.memoryUsage().rss;
  let peak = before;
  const text = 'x'.repeat(20_000);
  for (let i = 0; i < 5_000; i++) {
    log.info({ seq: i, text }, 'flood');
    if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  process.stderr.write(`${JSON.stringify({ grewBytes: peak - before })}\n`);
}

void main();
