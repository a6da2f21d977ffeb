/**
 * `signalroom github-standin` through the published entry point (bin/signalroom.js,
 * the loader every command uses): it starts, prints the App, answers that App's
 * JWT with an installation token, delivers from its page, and stops on SIGTERM,
 * removing the private key it made.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Webhooks } from '@octokit/webhooks';
import { signAppJwt } from '../../../src/github-standin';

const BIN = path.resolve(__dirname, '../../../bin/signalroom.js');

test('github-standin prints the App, issues its tokens, delivers signed, and stops on SIGTERM', async () => {
  const bodies: Array<{ body: string; signature: string }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push({ body, signature: String(req.headers['x-hub-signature-256']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/github/webhooks`;
  const child = spawn(process.execPath, [BIN, 'github-standin', '--json', '--webhook-url', webhookUrl, '--repo', 'octo-org/web', '--app-id', '4242'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error(`github-standin exited: ${stderr}`)));
    });
    const info = JSON.parse(line) as { apiUrl: string; pageUrl: string; appId: number; installationId: number; privateKeyFile: string; webhookSecret: string };
    expect(info).toMatchObject({ appId: 4242, webhookUrl });

    const jwt = signAppJwt({ appId: info.appId, privateKey: readFileSync(info.privateKeyFile, 'utf8') });
    const res = await fetch(`${info.apiUrl}/app/installations/${info.installationId}/access_tokens`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(201);

    const fired = await fetch(`${info.pageUrl}_standin/deployment-review`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signalroom-sandbox': '1' },
      body: JSON.stringify({ repo: 'octo-org/web', environment: 'production' }),
    });
    expect(await fired.json()).toMatchObject({ ok: true, status: 200 });
    expect(bodies).toHaveLength(1);
    expect(await new Webhooks({ secret: info.webhookSecret }).verify(bodies[0]!.body, bodies[0]!.signature)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(info.privateKeyFile)).toBe(false);
  } finally {
    child.kill('SIGKILL');
    await new Promise<void>((r) => receiver.close(() => r()));
  }
});
