/**
 * The second terminal beside `signalroom dev` on ports of its own: dev says
 * what to export, and in the same folder the CLI and `signalroom doctor` find
 * the stack with no setting at all — dev's endpoints and the sandbox's
 * credentials are in `data/dev.json`, readable by this user only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/temporal/free-port';
import { eventually } from '../../support/eventually';
import { runSignalroom } from '../../support/ops';

const ROOT = path.resolve(__dirname, '../../..');

test('dev prints the export lines and writes data/dev.json (0600); the CLI and doctor beside it need no setting', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'sr-dev-terminal-'));
  const [port, uiPort, temporalPort, sandboxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_CLI: process.env.SIGNALROOM_TEST_TEMPORAL_CLI, PORT: String(port), TEMPORAL_UI_PORT: String(uiPort), TEMPORAL_DEV_PORT: String(temporalPort), SANDBOX_PORT: String(sandboxPort) };
  for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_API_URL', 'SIGNALROOM_CONFIG', 'SIGNALROOM_DATA_DIR', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_PROFILE', 'SIGNALROOM_API_URL']) delete env[name];
  const dev = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'dev'], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  dev.stdout.on('data', (c) => (out += c));
  dev.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => dev.on('exit', (code) => resolve(code)));
  try {
    await eventually('signalroom dev to say "Press Ctrl-C to stop." or exit', () => out.includes('Press Ctrl-C to stop.') || dev.exitCode !== null, 90_000, 200);
    expect(out).toContain(`export TEMPORAL_ADDRESS=127.0.0.1:${temporalPort} TEMPORAL_NAMESPACE=default`);

    const file = path.join(folder, 'data', 'dev.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    const botToken = /bot token {5}(\S+)/.exec(out)![1];
    expect(written).toMatchObject({ pid: dev.pid, temporal: { address: `127.0.0.1:${temporalPort}`, namespace: 'default' }, http: `http://127.0.0.1:${port}`, sandbox: { botToken, apiUrl: `http://127.0.0.1:${sandboxPort}/api/` } });

    // A second terminal in the same folder: no TEMPORAL_ADDRESS, no Slack setting.
    const second = { SLACK_BOT_TOKEN: undefined, SLACK_SIGNING_SECRET: undefined, SLACK_API_URL: undefined, SIGNALROOM_CONFIG: undefined, SIGNALROOM_DATA_DIR: undefined, TEMPORAL_ADDRESS: undefined, TEMPORAL_NAMESPACE: undefined, TEMPORAL_PROFILE: undefined, SIGNALROOM_API_URL: undefined };
    const status = await runSignalroom(['approval', 'status', 'approval:web:production:none'], { cwd: folder, env: second });
    // Temporal answered (dev's, on its own port): the approval does not exist.
    expect(status).toMatchObject({ code: 5, stderr: 'signalroom approval: No approval "approval:web:production:none"\n' });

    const doctor = await runSignalroom(['doctor', '--json'], { cwd: folder, env: second });
    const rows = JSON.parse(doctor.stdout) as Array<{ integration: string; check: string; ok: boolean; detail: string }>;
    expect(rows.find((r) => r.check === 'token')).toMatchObject({ integration: 'organization', ok: true, detail: expect.stringContaining('T0SANDBOX') });
    expect(rows.find((r) => r.check === 'unneeded scopes')?.detail).not.toContain('granted but not needed');
    expect(doctor.code).toBe(0);
  } finally {
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
  }
  // Stopped: the file goes with it, so nothing reads a stack that is gone.
  expect(() => statSync(path.join(folder, 'data', 'dev.json'))).toThrow();
}, 150_000);
