/**
 * `signalroom dev` stops what it started on every way out: a bad
 * configuration, a signal while it starts or once it runs (SIGINT, SIGTERM),
 * and the crash of its Temporal dev server. A server left by a `dev` that
 * was killed outright (SIGKILL: nothing can run then) is named at the next
 * start, with how to stop it, never silently used.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/temporal/free-port';
import { eventually } from '../support/eventually';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');

interface Dev {
  child: ChildProcess;
  dataDir: string;
  temporalPort: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startDev(options: { dataDir?: string; temporalPort?: number; env?: Record<string, string> } = {}): Promise<Dev> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'sr-dev-exits-'));
  const temporalPort = options.temporalPort ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_CLI: process.env.SIGNALROOM_TEST_TEMPORAL_CLI,
    PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_DEV_PORT: String(temporalPort),
    SANDBOX_PORT: String(await freePort()),
    ...options.env,
  };
  for (const name of ['SLACK_BOT_TOKEN', 'TEMPORAL_ADDRESS', 'TEMPORAL_PROFILE', 'TEMPORAL_CONFIG_FILE', ...(options.env?.SIGNALROOM_CONFIG ? [] : ['SIGNALROOM_CONFIG'])]) delete env[name];
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'dev', '--data-dir', dataDir], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, dataDir, temporalPort, output: () => out, exited };
}

/** The Temporal dev servers whose history is in this data folder, by pid. */
function temporalServersOf(dataDir: string): number[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((l) => l.includes('server start-dev') && l.includes(path.join(dataDir, 'temporal.db'))).map((l) => Number(l.trim().split(/\s+/)[0]));
}

const running = (dev: Dev) => eventually('signalroom dev to say "Press Ctrl-C to stop." or exit', () => dev.output().includes('Press Ctrl-C to stop.') || dev.child.exitCode !== null, 120_000, 200);

const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

test('an invalid configuration: dev exits non-zero naming it, and no Temporal server is left running', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sr-dev-badconfig-'));
  const config = path.join(dir, 'signalroom.yaml');
  writeFileSync(config, 'approverGroups: 5\n');
  const dev = await startDev({ dataDir: dir, env: { SIGNALROOM_CONFIG: config } });
  const { code } = await dev.exited;
  expect(code).not.toBe(0);
  expect(dev.output()).toContain('Invalid configuration');
  expect(temporalServersOf(dev.dataDir)).toEqual([]);
});

test.each(['SIGINT', 'SIGTERM'] as const)('%s once running: dev exits 0 and its Temporal server is gone', async (signal) => {
  const dev = await startDev();
  await running(dev);
  expect(dev.output()).toContain('Signalroom is running.');
  expect(temporalServersOf(dev.dataDir)).toHaveLength(1);
  dev.child.kill(signal);
  expect((await dev.exited).code).toBe(0);
  expect(temporalServersOf(dev.dataDir)).toEqual([]);
});

test('SIGTERM while starting: dev exits and its Temporal server is gone', async () => {
  const dev = await startDev();
  await eventually('the dev server to be starting', () => temporalServersOf(dev.dataDir).length === 1 || dev.child.exitCode !== null, 60_000, 50);
  dev.child.kill('SIGTERM');
  await dev.exited;
  expect(dev.output()).not.toContain('Signalroom is running.');
  await eventually('no Temporal server of this dev left', () => temporalServersOf(dev.dataDir).length === 0, 15_000, 100);
});

test('the Temporal server crashes: dev says so, stops everything else and exits non-zero', async () => {
  const dev = await startDev();
  await running(dev);
  const [pid] = temporalServersOf(dev.dataDir);
  process.kill(pid!, 'SIGKILL');
  const { code } = await dev.exited;
  expect(code).not.toBe(0);
  expect(dev.output()).toMatch(/The Temporal dev server .*exited/);
  expect(temporalServersOf(dev.dataDir)).toEqual([]);
});

test('a server left by a dev killed outright is named at the next start, with how to stop it, not used', async () => {
  const first = await startDev();
  await running(first);
  const [orphan] = temporalServersOf(first.dataDir);
  leftovers.push(orphan!);
  // SIGKILL: no handler runs, so the dev server outlives it (as after `kill -9` or a closed laptop lid).
  first.child.kill('SIGKILL');
  await first.exited;
  expect(temporalServersOf(first.dataDir)).toEqual([orphan]);

  const second = await startDev({ dataDir: first.dataDir, temporalPort: first.temporalPort });
  const { code } = await second.exited;
  expect(code).not.toBe(0);
  expect(second.output()).not.toContain('Signalroom is running.');
  expect(second.output()).toContain(`127.0.0.1:${first.temporalPort}`);
  expect(second.output()).toContain(`kill ${orphan}`);
  // Not ours to stop: the message says how, and it is still there.
  expect(temporalServersOf(first.dataDir)).toEqual([orphan]);
});
