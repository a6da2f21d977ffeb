import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GoNotFoundError, obtainTemporalServer } from '../../src/temporal/cluster/server-binary';

const root = path.resolve(__dirname, '../..');
const made: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
};
const emptyCache = () => tempDir('signalroom-cache-');
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('obtaining the Temporal server for signalroom cluster', () => {
  test('without Go and without a cached build, it says Go is needed and how to get it', async () => {
    const attempt = obtainTemporalServer({ env: { PATH: '' }, cacheDir: emptyCache(), log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(GoNotFoundError);
    await expect(attempt).rejects.toThrow(/Install Go/);
  });

  test('signalroom cluster up without Go exits 1 with that message and starts nothing', () => {
    const dataDir = tempDir('signalroom-cluster-');
    const r = spawnSync(process.execPath, [path.join(root, 'bin/signalroom.js'), 'cluster', 'up', '--data-dir', dataDir], {
      cwd: root,
      encoding: 'utf8',
      // Node only: no go on PATH; an empty cache; a PostgreSQL URL that is never reached.
      env: { PATH: path.dirname(process.execPath), SIGNALROOM_CACHE_DIR: emptyCache(), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', HOME: os.tmpdir() },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('builds the Temporal server v1.29.1 from source with Go');
    expect(r.stderr).toContain('Install Go');
  });
});
