/**
 * Attack: the one-time install link is burnt, or read, by something that is
 * not the administrator connecting Slack.
 * - A link unfurler (a chat client previewing the pasted link) sends a HEAD
 *   first: that used the link up, so the administrator's own click was refused.
 * - The server's info-level request logs carried `/slack/install?link=…` and
 *   `/slack/oauth_redirect?code=…&state=…`: whoever reads the logs could
 *   start an install or finish one.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { openInstallationStore, type InstallationStoreHandle } from '../../../src/store/installations';
import { buildServer } from '../../../src/server/app';
import { deadTemporalClient } from '../../support/server';

let sandbox: Sandbox;
let store: InstallationStoreHandle;
let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: false });
  store = await openInstallationStore({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'sr-unfurl-')) });
  const stream = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  app = await buildServer({
    temporal: await deadTemporalClient(),
    logger: { level: 'info', stream },
    slackOAuth: { clientId: sandbox.oauthApp.clientId, clientSecret: sandbox.oauthApp.clientSecret, stateSecret: 'a-state-secret-for-tests', installationStore: store.store, apiUrl: sandbox.apiUrl, publicUrl: 'http://127.0.0.1:1' },
  });
});
afterAll(async () => {
  await app?.close();
  await store?.close();
  await sandbox?.close();
});

test("a link unfurler's HEAD does not use up the install link; the administrator's GET still starts the install", async () => {
  const { token } = await store.store.createInstallLink();
  const head = await app.inject({ method: 'HEAD', url: `/slack/install?link=${token}` });
  expect(head.statusCode).toBe(200);
  expect(head.headers.location).toBeUndefined();
  const get = await app.inject({ method: 'GET', url: `/slack/install?link=${token}` });
  expect(get.statusCode).toBe(302);
  expect(get.headers.location).toContain(`${sandbox.url}/oauth/v2/authorize?`);
  // Used once by the GET: a second GET is refused.
  expect((await app.inject({ method: 'GET', url: `/slack/install?link=${token}` })).statusCode).toBe(403);
});

test('request logs never carry an install link, an OAuth code or an OAuth state', async () => {
  logLines.length = 0;
  const { token } = await store.store.createInstallLink();
  await app.inject({ method: 'GET', url: `/slack/install?link=${token}` });
  await app.inject({ method: 'GET', url: '/slack/oauth_redirect?code=the-oauth-code-123&state=the-oauth-state-456' });
  const logs = logLines.join('');
  expect(logs).toContain('/slack/install');
  expect(logs).toContain('/slack/oauth_redirect');
  for (const secret of [token, 'the-oauth-code-123', 'the-oauth-state-456']) expect(logs).not.toContain(secret);
  expect(logs).toContain('link=[redacted]');
  expect(logs).toContain('code=[redacted]&state=[redacted]');
});
