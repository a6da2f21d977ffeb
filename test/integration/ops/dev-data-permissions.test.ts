/**
 * The dev server's history (temporal.db and its -wal) and its log hold every
 * workflow's inputs and results: readable by the developer only, in a
 * folder only they can list — also when the folder was made before.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../../src/temporal/dev-server';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

test('temporal.db, its -wal and the server log are 0600 in a 0700 data folder', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'signalroom-data-'));
  const dataDir = path.join(root, 'data');
  // A folder and log left world-readable by an older version.
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  writeFileSync(path.join(dataDir, 'temporal-server.log'), 'older lines\n', { mode: 0o644 });
  const dev = await startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, headless: true, withoutSearchAttributes: true, dbFile: path.join(dataDir, 'temporal.db'), logPath: path.join(dataDir, 'temporal-server.log') });
  try {
    expect(mode(dataDir)).toBe('700');
    expect(mode(path.join(dataDir, 'temporal.db'))).toBe('600');
    expect(mode(path.join(dataDir, 'temporal.db-wal'))).toBe('600');
    expect(mode(path.join(dataDir, 'temporal-server.log'))).toBe('600');
  } finally {
    await dev.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
