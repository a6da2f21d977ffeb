/**
 * A 2-node `signalroom cluster up` and then a `signalroom worker` with
 * DATABASE_URL set, on the same PostgreSQL at its default max_connections
 * (100): the nodes' pools leave room for the Signalroom processes, the worker
 * runs a workflow beside them, and when PostgreSQL has no connection left the
 * worker says PostgreSQL is full rather than dying on a bare "sorry, too many
 * clients already".
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { parse } from 'yaml';
import { uniqueTaskQueue } from '../support/temporal';
import { startTestPostgres, type TestPostgres } from './postgres';

jest.setTimeout(300_000);

const exec = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
/** PostgreSQL's default max_connections, as on a machine nobody tuned. */
const MAX_CONNECTIONS = 100;
/** Of the 97 connections left to non-superusers, what the Temporal nodes may take at most: the rest are the Signalroom processes' (4 each) and an operator's. */
const TEMPORAL_SHARE = 60;

let pg: TestPostgres;
let dir: string;
let frontends: string[];
let upOutput: string;

/** The environment a user has: DATABASE_URL for both the cluster and the store, nothing else of Signalroom's. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^(TEMPORAL_|SLACK_|SIGNALROOM_)/.test(name)) delete env[name];
  return { ...env, DATABASE_URL: pg.url, SIGNALROOM_DATA_DIR: path.join(dir, 'data'), ...extra };
}

async function signalroom(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), ...args], { cwd: dir, env: userEnv(extra), timeout: 240_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

/** Client connections to PostgreSQL, per database. */
async function connections(): Promise<Record<string, number>> {
  const c = new PgClient({ connectionString: pg.url });
  await c.connect();
  try {
    const r = await c.query<{ datname: string; n: number }>(
      "SELECT datname, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY datname",
    );
    return Object.fromEntries(r.rows.map((row) => [row.datname, row.n]));
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-pg-connections-'));
  pg = await startTestPostgres({ maxConnections: MAX_CONNECTIONS });
  const up = await signalroom(['cluster', 'up', '--json', '--data-dir', path.join(dir, 'cluster')]);
  expect({ code: up.code, stderr: up.code ? up.stderr : '' }).toEqual({ code: 0, stderr: '' });
  frontends = (JSON.parse(up.stdout) as { frontends: string[] }).frontends;
  upOutput = up.stderr;
}, 300_000);

afterAll(async () => {
  if (dir) await signalroom(['cluster', 'down', '--data-dir', path.join(dir, 'cluster')]);
  pg?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the nodes' pools, full, leave PostgreSQL's default 100 connections room for the Signalroom processes", async () => {
  // Every service of a node (frontend, history, matching, worker) opens its own pool per datastore.
  const pools = frontends.map((_, i) => {
    const config = parse(readFileSync(path.join(dir, 'cluster', `node-${i + 1}`, 'config', 'development.yaml'), 'utf8'));
    const stores = Object.values(config.persistence.datastores as Record<string, { sql: { maxConns: number; maxIdleConns: number } }>).map((d) => d.sql);
    return { most: 4 * stores.reduce((n, s) => n + s.maxConns, 0), idle: 4 * stores.reduce((n, s) => n + s.maxIdleConns, 0) };
  });
  expect(pools.reduce((n, p) => n + p.most, 0)).toBeLessThanOrEqual(TEMPORAL_SHARE);
  const open = await connections();
  expect((open.signalroom_temporal ?? 0) + (open.signalroom_temporal_visibility ?? 0)).toBeLessThanOrEqual(pools.reduce((n, p) => n + p.most, 0));
  expect(upOutput).not.toContain('Warning');
});

test('a worker with DATABASE_URL set, the same PostgreSQL, starts beside the cluster and runs a workflow', async () => {
  const taskQueue = uniqueTaskQueue('pg-connections');
  const worker = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'worker'], {
    cwd: dir,
    env: userEnv({ TEMPORAL_ADDRESS: frontends[0], SIGNALROOM_TASK_QUEUE: taskQueue }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
  worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  const connection = await Connection.connect({ address: frontends[1] });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const run = client.workflow.execute('selfCheck', { taskQueue, workflowId: `pg-connections-${taskQueue}`, workflowExecutionTimeout: '3 minutes' });
    const first = await Promise.race([run, exited.then((code) => ({ exited: code, output }))]);
    expect(first).toMatchObject({ worker: { taskQueue } });
    // The store is in PostgreSQL too: an install link is recorded there.
    const link = await signalroom(['install-link', '--json']);
    expect({ code: link.code, stderr: link.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(link.stdout).url).toContain('/slack/install?link=');
  } finally {
    await connection.close();
    worker.kill('SIGTERM');
    await exited;
  }
});

test('with no connection left, the worker exits 69 saying PostgreSQL is full and what to do', async () => {
  const held: PgClient[] = [];
  try {
    // Take every connection PostgreSQL has left (superuser slots included: the test's user is a superuser).
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const c = new PgClient({ connectionString: pg.url });
      try {
        await c.connect();
      } catch (err) {
        expect((err as { code?: string }).code).toBe('53300');
        break;
      }
      held.push(c);
    }
    const r = await signalroom(['worker'], { TEMPORAL_ADDRESS: frontends[0], SIGNALROOM_TASK_QUEUE: uniqueTaskQueue('pg-full') });
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`Cannot connect to PostgreSQL at 127.0.0.1:${pg.port} as postgres (database postgres; DATABASE_URL, the installation store): sorry, too many clients already`);
    expect(r.stderr).toContain('max_connections');
  } finally {
    await Promise.all(held.map((c) => c.end()));
  }
});
