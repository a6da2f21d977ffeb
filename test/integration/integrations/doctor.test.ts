/**
 * `signalroom doctor` and `signalroom manifest`: what an operator reads when
 * setting Slack up.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { parse } from 'yaml';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { ConfigSchema } from '../../../src/config/schema';
import { IntegrationRegistry } from '../../../src/slack/integrations';
import { runDoctor, formatDoctorTable } from '../../../src/cli/doctor';
import { REQUIRED_BOT_SCOPES } from '../../../src/slack/scopes';

const exec = promisify(execFile);
const bin = path.resolve(__dirname, '../../../bin/signalroom.js');
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: false });
});
afterAll(() => sandbox.close());

function doctorFor(slack: Record<string, unknown>, publicUrl?: string) {
  const config = ConfigSchema.parse({ slack });
  return runDoctor({ config, registry: new IntegrationRegistry(config), publicUrl });
}

test('a healthy integration passes every check, and the Request URL answers ssl_check', async () => {
  // A stand-in for the server: answers Slack's ssl_check like /slack/interactions does.
  const app = Fastify();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/slack/interactions', async (req) => (String(req.body).includes('ssl_check=1') ? { ok: true } : { ok: false }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const rows = await doctorFor({ organization: { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl } }, url);
  await app.close();
  expect(rows.map((r) => [r.check, r.ok])).toEqual([
    ['token', true],
    ['scopes', true],
    ['unneeded scopes', true],
    ['signing secret', true],
    ['request url', true],
  ]);
  expect(rows[0].detail).toBe('workspace Signalroom Sandbox (T0SANDBOX) as @signalroom');
  // The sandbox app also holds scopes Signalroom never uses (least privilege says drop them).
  expect(rows[2].detail).toBe("granted but not needed: im:history, im:read, reactions:write: remove them from the app's bot scopes and reinstall");
  expect(formatDoctorTable(rows)).toMatch(/^INTEGRATION\s+CHECK\s+STATUS\s+DETAIL\norganization\s+token\s+ok/);
});

test('missing scopes, a missing signing secret and an unreachable Request URL are named', async () => {
  const token = sandbox.createToken({ scopes: ['chat:write', 'channels:read'] });
  const rows = await doctorFor({ organization: { botToken: token, apiUrl: sandbox.apiUrl } }, 'http://127.0.0.1:9');
  const byCheck = Object.fromEntries(rows.map((r) => [r.check, r]));
  expect(byCheck.token.ok).toBe(true);
  expect(byCheck.scopes.ok).toBe(false);
  for (const scope of REQUIRED_BOT_SCOPES.filter((s) => s !== 'chat:write')) expect(byCheck.scopes.detail).toContain(scope);
  expect(byCheck.scopes.detail).toContain('(required: channels:manage, groups:write, im:write)');
  expect(byCheck['unneeded scopes']).toMatchObject({ ok: true, detail: 'none: the token has only the scopes Signalroom uses' });
  expect(byCheck['signing secret']).toMatchObject({ ok: false, detail: expect.stringContaining('missing') });
  expect(byCheck['request url']).toMatchObject({ ok: false, detail: expect.stringContaining('is not reachable') });
});

test('a bad token fails the token check with what to do; each connector is checked too', async () => {
  const rows = await doctorFor({
    organization: { botToken: 'xoxb-not-a-real-token', signingSecret: 's', apiUrl: sandbox.apiUrl },
    connectors: { payments: { botToken: sandbox.botToken, signingSecret: 'p', apiUrl: sandbox.apiUrl } },
  });
  expect(rows.find((r) => r.integration === 'organization' && r.check === 'token')).toMatchObject({ ok: false, detail: expect.stringContaining('invalid_auth — the token is not valid') });
  expect(rows.filter((r) => r.integration === 'connector:payments').map((r) => r.ok)).toEqual([true, true, true, true]);
});

test('a Slack that cannot be reached is named without "retrying": doctor tries once', async () => {
  const rows = await doctorFor({ organization: { botToken: sandbox.botToken, signingSecret: 's', apiUrl: 'http://127.0.0.1:9/api/' } });
  const token = rows.find((r) => r.check === 'token')!;
  expect(token).toMatchObject({ ok: false, detail: expect.stringContaining('Could not reach Slack') });
  expect(token.detail).not.toMatch(/retrying/i);
});

test('no token: /slack/install is suggested only where OAuth is configured, and then through a one-time link', async () => {
  const plain = (await doctorFor({})).find((r) => r.check === 'token')!;
  expect(plain.ok).toBe(false);
  expect(plain.detail).not.toContain('/slack/install');
  expect(plain.detail).toContain('SLACK_BOT_TOKEN');
  const oauth = (await doctorFor({ organization: { clientId: '123.456', clientSecret: 'client-secret', stateSecret: 'state-secret-0123' } })).find((r) => r.check === 'token')!;
  expect(oauth.ok).toBe(false);
  expect(oauth.detail).toContain('signalroom install-link');
});

test('the command exits 1 on a problem and 0 when all is well', async () => {
  const env = { ...process.env, SLACK_API_URL: sandbox.apiUrl, SIGNALROOM_CONFIG: '' };
  delete (env as Record<string, string | undefined>).SIGNALROOM_CONFIG;
  const ok = await exec(process.execPath, [bin, 'doctor'], { env: { ...env, SLACK_BOT_TOKEN: sandbox.botToken, SLACK_SIGNING_SECRET: sandbox.signingSecret } });
  expect(ok.stdout).toContain('all 17 scopes granted');
  const bad = await exec(process.execPath, [bin, 'doctor', '--json'], { env: { ...env, SLACK_BOT_TOKEN: 'xoxb-bogus' } }).catch((e) => e);
  expect(bad.code).toBe(1);
  expect(JSON.parse(bad.stdout)[0]).toMatchObject({ integration: 'organization', check: 'token', ok: false });
});

test('signalroom manifest prints a Slack app manifest with the scopes and URLs', async () => {
  const out = await exec(process.execPath, [bin, 'manifest', '--url', 'https://signalroom.example.com']);
  const manifest = parse(out.stdout);
  expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://signalroom.example.com/slack/interactions' });
  expect(manifest.oauth_config.redirect_urls).toEqual(['https://signalroom.example.com/slack/oauth_redirect']);
  expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(REQUIRED_BOT_SCOPES));
  expect(manifest.features.slash_commands[0]).toMatchObject({ command: '/signalroom', url: 'https://signalroom.example.com/slack/commands' });
  const refused = await exec(process.execPath, [bin, 'manifest', '--url', 'http://signalroom.example.com']).catch((e) => e);
  // A URL Slack cannot use is bad usage (64), said in one line, not an internal error with a stack.
  expect(refused.code).toBe(64);
  expect(refused.stderr).toBe('Slack requires an https Request URL; got http://signalroom.example.com\n');
  const garbled = await exec(process.execPath, [bin, 'manifest', '--url', 'signalroom.example.com']).catch((e) => e);
  expect([garbled.code, garbled.stderr]).toEqual([64, '--url must be the server\'s public https URL, like https://signalroom.example.com; got "signalroom.example.com"\n']);
});
