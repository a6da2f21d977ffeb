/**
 * `signalroom cluster status` right after `cluster down`: the nodes are
 * stopped, and the ring lists no member. Temporal's membership table keeps
 * the stopped nodes' rows (their heartbeats still look recent for a while),
 * so reading it alone would show a ring of processes that no longer exist.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClusterStatus } from '../../src/temporal/cluster/cluster';
import { eventually } from '../support/eventually';
import { startTestPostgres, type TestPostgres } from './postgres';

jest.setTimeout(300_000);

const exec = promisify(execFile);
const ROOT = path.join(__dirname, '../..');

let pg: TestPostgres;
let dir: string;

async function signalroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), ...args, '--data-dir', path.join(dir, 'cluster')], { cwd: ROOT, env: { ...process.env, DATABASE_URL: pg.url }, timeout: 240_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-cluster-down-'));
  pg = await startTestPostgres();
});
afterAll(async () => {
  if (dir) await signalroom('cluster', 'down');
  pg?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('after cluster down, cluster status shows every node stopped and no ring member', async () => {
  const up = await signalroom('cluster', 'up', '--nodes', '1', '--json');
  expect({ code: up.code, stderr: up.code ? up.stderr : '' }).toEqual({ code: 0, stderr: '' });
  const serving = await eventually('the node in the ring', async () => {
    const r = await signalroom('cluster', 'status', '--json');
    const st = JSON.parse(r.stdout) as ClusterStatus;
    return r.code === 0 && (st.members.history ?? []).length === 1 && st;
  }, 60_000);
  expect(Object.keys(serving.members).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);

  expect((await signalroom('cluster', 'down')).code).toBe(0);
  const after = await signalroom('cluster', 'status', '--json');
  expect(after.code).toBe(1);
  const st = JSON.parse(after.stdout) as ClusterStatus;
  expect(st.nodes.map((n) => ({ running: n.running, serving: n.serving }))).toEqual([{ running: false, serving: false }]);
  expect(st.members).toEqual({});

  const text = await signalroom('cluster', 'status');
  expect(text.code).toBe(1);
  expect(text.stdout).toMatch(/node-1\s+stopped/);
  expect(text.stdout).not.toContain('ring');
});
