/**
 * The worker logs as the server does: one JSON object per line on stdout
 * (pino's format: `level`, `time`, `msg`), at LOG_LEVEL, with secrets
 * redacted — the Temporal SDK's own lines (worker state, workflow and
 * activity logs) included, so one log pipeline reads both processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { createLogger, temporalLogger } from '../../../src/logging';
import { testNamespace, testTemporalAddress, uniqueTaskQueue } from '../../support/temporal';
import { eventually, sandboxConfigYaml } from '../../support/ops';

const ROOT = path.join(__dirname, '../../..');
let sandbox: Sandbox;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-worker-logs-'));
  sandbox = await startSandbox({ rateLimits: false });
  writeFileSync(path.join(dir, 'signalroom.yaml'), sandboxConfigYaml(sandbox));
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('signalroom worker writes JSON lines on stdout, at LOG_LEVEL, the SDK’s own included', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (/^(TEMPORAL_|SLACK_|SIGNALROOM_)/.test(name)) delete env[name];
  Object.assign(env, { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: testNamespace(), SIGNALROOM_CONFIG: path.join(dir, 'signalroom.yaml'), SIGNALROOM_DATA_DIR: path.join(dir, 'data'), SIGNALROOM_TASK_QUEUE: uniqueTaskQueue('worker-logs'), LOG_LEVEL: 'info' });
  child = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  // The SDK says when the worker runs: that line, as the server would write it.
  await eventually(
    'the worker to log that it runs',
    () => {
      if (child!.exitCode !== null) throw new Error(`the worker exited:\n${stdout}${stderr}`);
      return /RUNNING/.test(stdout + stderr);
    },
    30_000,
    100,
  );
  const running = stdout.split('\n').find((l) => l.includes('RUNNING'));
  expect({ stdout: running, stderr }).toEqual({ stdout: expect.any(String), stderr: '' });
  expect(JSON.parse(running!)).toEqual(expect.objectContaining({ level: 30, time: expect.any(Number), msg: 'Worker state changed', state: 'RUNNING', sdkComponent: 'worker' }));

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  const lines = stdout.split('\n').filter(Boolean);
  for (const line of lines) expect({ line, json: (() => { try { return typeof JSON.parse(line); } catch { return 'not JSON'; } })() }).toEqual({ line, json: 'object' });
  expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('Worker state changed');
}, 60_000);

test('the worker’s logger redacts what the server’s does, and keeps to LOG_LEVEL', () => {
  const written: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => { written.push(chunk.toString()); done(); } });
  const logger = temporalLogger(createLogger({ level: 'warn', destination: sink }));
  logger.info('not written at warn');
  logger.warn('activity failed', { integration: 'organization', botToken: 'xoxb-secret-0123', request: { signingSecret: 'shh-0123', responseUrl: 'https://hooks.slack.com/actions/T/1/x' } });
  expect(written.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
    expect.objectContaining({ level: 40, msg: 'activity failed', integration: 'organization', botToken: '[redacted]', request: { signingSecret: '[redacted]', responseUrl: '[redacted]' } }),
  ]);
});
