/**
 * `signalroom dev` keeps Temporal's history in a SQLite file in WAL mode with
 * synchronous=NORMAL (DEV_SQLITE_PRAGMAS): as fast as in memory, and what
 * Temporal acknowledged is still there after the server is SIGKILLed — no
 * clean shutdown, no checkpoint.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';

jest.setTimeout(120_000);

test('the dev server SIGKILLed: every workflow start and signal it acknowledged is in the history when it comes back on the same file', async () => {
  const cliPath = process.env.SIGNALROOM_TEST_TEMPORAL_CLI!;
  const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sr-dev-killed-')), 'temporal.db');
  const port = await freePort();
  let temporal: RunningDevServer = await startDevServer({ cliPath, port, dbFile, headless: true });
  let connection = await Connection.connect({ address: temporal.address });
  try {
    // Nobody polls this task queue: the runs stay open with just what the server recorded.
    const client = new Client({ connection });
    const ids = Array.from({ length: 20 }, (_, i) => `dev-killed-${Date.now()}-${i}`);
    for (const id of ids) {
      const handle = await client.workflow.start('nobodyRunsThis', { taskQueue: 'dev-killed-nobody', workflowId: id, args: [id] });
      await handle.signal('noted', `signal for ${id}`);
    }
    expect(existsSync(`${dbFile}-wal`)).toBe(true);

    temporal.process.kill('SIGKILL');
    await new Promise((resolve) => temporal.process.once('exit', resolve));
    await connection.close();

    temporal = await startDevServer({ cliPath, port, dbFile, headless: true });
    connection = await Connection.connect({ address: temporal.address });
    const after = new Client({ connection });
    for (const id of ids) {
      const history = await after.workflow.getHandle(id).fetchHistory();
      const kinds = (history.events ?? []).map((e) => (e.workflowExecutionStartedEventAttributes ? 'started' : e.workflowExecutionSignaledEventAttributes ? 'signaled' : undefined)).filter(Boolean);
      expect({ id, kinds }).toEqual({ id, kinds: ['started', 'signaled'] });
    }
  } finally {
    await connection.close();
    await temporal.stop();
  }
});
