/** "Connect Slack" end to end: @slack/oauth's InstallProvider, unchanged, against the sandbox. */
import http from 'node:http';
import { InstallProvider, type Installation } from '@slack/oauth';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { expectOnlyListedErrors, webClient } from '../../support/sandbox';

let slack: Sandbox;
let server: http.Server;
let appUrl: string;
const installs: Installation[] = [];

beforeAll(async () => {
  slack = await startSandbox({ rateLimits: false });
  const installer = new InstallProvider({
    clientId: slack.oauthApp.clientId,
    clientSecret: slack.oauthApp.clientSecret,
    stateSecret: 'state-secret',
    authorizationUrl: `${slack.url}/oauth/v2/authorize`,
    clientOptions: { slackApiUrl: slack.apiUrl },
    installationStore: {
      storeInstallation: async (i) => {
        installs.push(i as Installation);
      },
      fetchInstallation: async () => {
        throw new Error('not needed');
      },
    },
    directInstall: true,
  });
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, appUrl);
    const redirectUri = `${appUrl}/slack/oauth_redirect`;
    if (url.pathname === '/slack/install') void installer.handleInstallPath(req, res, undefined, { scopes: ['chat:write', 'channels:manage', 'incoming-webhook'], redirectUri });
    else void installer.handleCallback(req, res, { success: (_i, _o, _req, r) => r.end('installed'), failure: (e, _o, _req, r) => { r.statusCode = 400; r.end(e.message); } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  expectOnlyListedErrors(slack);
  await new Promise((resolve) => server.close(resolve));
  await slack.close();
});

test('install path → authorize page → redirect with a code → oauth.v2.access → a working bot token', async () => {
  const start = await fetch(`${appUrl}/slack/install`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const authorizeUrl = start.headers.get('location')!;
  expect(authorizeUrl.startsWith(`${slack.url}/oauth/v2/authorize?`)).toBe(true);
  const cookie = start.headers.get('set-cookie')!.split(';')[0]!;

  // The page a person sees names the scopes and lets them pick the webhook's channel.
  const page = await (await fetch(authorizeUrl)).text();
  expect(page).toContain('channels:manage');
  expect(page).toContain('#deploys');

  const callback = await slack.authorize(authorizeUrl, { userId: 'U0ALICE', webhookChannelId: 'C0DEPLOYS' });
  expect(callback.startsWith(`${appUrl}/slack/oauth_redirect?`)).toBe(true);
  const done = await fetch(callback, { headers: { cookie } });
  expect([done.status, await done.text()]).toEqual([200, 'installed']);

  const installation = installs[0]!;
  expect(installation.team?.id).toBe('T0SANDBOX');
  expect(installation.bot).toMatchObject({ userId: 'U0SIGNALRM', id: 'B0SIGNALRM', scopes: ['chat:write', 'channels:manage', 'incoming-webhook'] });
  expect(installation.incomingWebhook?.channelId).toBe('C0DEPLOYS');

  const web = webClient(slack, installation.bot!.token);
  expect((await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'installed via OAuth' })).ok).toBe(true);
  const hook = await fetch(installation.incomingWebhook!.url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'via webhook' }) });
  expect(hook.status).toBe(200);
});

test('Cancel on the authorize page redirects with error=access_denied', async () => {
  const start = await fetch(`${appUrl}/slack/install`, { redirect: 'manual' });
  const callback = await slack.authorize(start.headers.get('location')!, { deny: true });
  expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
});
