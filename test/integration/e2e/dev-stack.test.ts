import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/temporal/free-port';
import { eventually } from '../../support/eventually';

// `npm start` is `signalroom dev`: this runs it as a user would, on its own
// dev server, and stops it with Ctrl-C (SIGINT).
test('signalroom dev starts the stack, runs a self-check, serves /healthz and stops cleanly on SIGINT', async () => {
  const root = path.resolve(__dirname, '../../..');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sr-dev-'));
  const [port, uiPort, temporalPort, sandboxPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_CLI: process.env.SIGNALROOM_TEST_TEMPORAL_CLI,
    PORT: String(port),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_DEV_PORT: String(temporalPort),
    SANDBOX_PORT: String(sandboxPort),
  };
  delete env.SLACK_BOT_TOKEN;
  delete env.SIGNALROOM_CONFIG;
  delete env.TEMPORAL_ADDRESS;
  const child = spawn(process.execPath, [path.join(root, 'bin/signalroom.js'), 'dev', '--data-dir', dataDir], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  // Ready, or gone: either way the output below says which.
  await eventually('signalroom dev to say "Press Ctrl-C to stop." or exit', () => out.includes('Press Ctrl-C to stop.') || child.exitCode !== null, 90_000, 200);
  expect(out).toContain('Signalroom is running.');
  expect(out).toContain(`Temporal UI     http://localhost:${uiPort}`);
  expect(out).toMatch(/Self-check {6}signalroom-self-check-\S+ ran on signalroom-worker@/);

  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  expect(await ready.json()).toMatchObject({ status: 'ready', temporal: 'reachable', config: expect.stringMatching(/^loaded/) });
  const ui = await fetch(`http://localhost:${uiPort}/`);
  expect(ui.status).toBe(200);

  // No Slack configured: the sandbox is the demo's Slack, wired to this server.
  expect(out).toContain(`Slack sandbox   http://127.0.0.1:${sandboxPort}/`);
  const page = await fetch(`http://127.0.0.1:${sandboxPort}/`);
  expect(page.status).toBe(200);
  const token = /bot token {5}(\S+)/.exec(out)![1];
  const auth = await (await fetch(`http://127.0.0.1:${sandboxPort}/api/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json();
  expect(auth).toMatchObject({ ok: true, team_id: 'T0SANDBOX' });
  // "Connect Slack" starts the OAuth flow against the sandbox's authorize page.
  // "Connect Slack" needs the one-time link dev printed.
  const link = /Connect Slack {3}(\S+)/.exec(out)![1];
  expect((await fetch(`http://127.0.0.1:${port}/slack/install`, { redirect: 'manual' })).status).toBe(403);
  const install = await fetch(link, { redirect: 'manual' });
  expect(install.status).toBe(302);
  expect(install.headers.get('location')).toContain(`http://127.0.0.1:${sandboxPort}/oauth/v2/authorize?`);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(out).toContain('Stopped.');
  // Nothing went wrong on the way down (the worker's shutdown was once begun twice: "while stopping: Not running").
  expect(out).not.toContain('while stopping');
}, 120_000);
