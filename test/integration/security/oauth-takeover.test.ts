/**
 * Attack: an outsider installs Signalroom's Slack app in their own workspace
 * through the public "Connect Slack", so that after a restart the
 * organization integration (and with it every approval card and approver
 * group) belongs to the attacker's workspace.
 *
 * The sandbox's OAuth plays both workspaces: the organization's (T0SANDBOX)
 * and the outsider's (T0OUTSIDER).
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Client as PgClient } from 'pg';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { slackOAuthRoutes, type SlackOAuthOptions } from '../../../src/server/slack-oauth';
import { openInstallationStore, type InstallationStoreHandle } from '../../../src/store/installations';
import { ConfigSchema } from '../../../src/config/schema';
import { IntegrationRegistry } from '../../../src/slack/integrations';
import { buildServer } from '../../../src/server/app';
import { deadTemporalClient } from '../../support/server';
import { freePort } from '../../../src/temporal/free-port';

const ADMIN_URL = process.env.SIGNALROOM_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `signalroom_takeover_${process.pid}`;

interface Server {
  url: string;
  close(): Promise<void>;
}

async function oauthServer(sandbox: Sandbox, store: InstallationStoreHandle, extra: Partial<SlackOAuthOptions> = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app: FastifyInstance = Fastify();
  await app.register(slackOAuthRoutes, {
    clientId: sandbox.oauthApp.clientId,
    clientSecret: sandbox.oauthApp.clientSecret,
    stateSecret: 'a-state-secret-for-tests',
    installationStore: store.store,
    apiUrl: sandbox.apiUrl,
    publicUrl: url,
    ...extra,
  });
  await app.listen({ port, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

/** A person of `userId`'s workspace runs the install from `installUrl` to the end; the final page. */
async function installAs(sandbox: Sandbox, installUrl: string, userId: string): Promise<{ status: number; page: string }> {
  const start = await fetch(installUrl, { redirect: 'manual' });
  if (start.status !== 302) return { status: start.status, page: await start.text() };
  const cookie = start.headers.get('set-cookie')!.split(';')[0];
  const back = await sandbox.authorize(start.headers.get('location')!, { userId });
  const done = await fetch(back, { headers: { cookie }, redirect: 'manual' });
  return { status: done.status, page: await done.text() };
}

async function organizationTeam(sandbox: Sandbox, store: InstallationStoreHandle, organization: Record<string, string> = {}): Promise<string | undefined> {
  // A fresh registry: what the organization integration is after a restart.
  const registry = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { apiUrl: sandbox.apiUrl, ...organization } } }), { installationStore: store.store });
  return (await (await registry.get('organization')).client.auth.test()).team_id as string;
}

const link = async (server: Server, store: InstallationStoreHandle) => `${server.url}/slack/install?link=${(await store.store.createInstallLink()).token}`;

describe('OAuth takeover of the organization integration', () => {
  let sandbox: Sandbox;
  let admin: PgClient;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    admin = new PgClient({ connectionString: ADMIN_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.addWorkspace({ id: 'T0OUTSIDER', name: 'Outsider Inc', domain: 'outsider', botUserId: 'U0OUTBOT', botId: 'B0OUTBOT', users: [{ id: 'U0MALLORY', name: 'mallory', realName: 'Mallory' }] });
  });

  const stores: Array<[string, () => Promise<InstallationStoreHandle>]> = [
    ['file store', () => openInstallationStore({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'sr-takeover-')) })],
    [
      'PostgreSQL store',
      async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${dbName}`);
        return openInstallationStore({ databaseUrl: ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`), dataDir: 'unused' });
      },
    ],
  ];

  describe.each(stores)('%s', (_name, open) => {
    test('a stranger opening /slack/install without an install link is refused before reaching Slack', async () => {
      const store = await open();
      const server = await oauthServer(sandbox, store);
      const res = await fetch(`${server.url}/slack/install`, { redirect: 'manual' });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('This install link is not valid');
      const guessed = await fetch(`${server.url}/slack/install?link=guessed-link`, { redirect: 'manual' });
      expect(guessed.status).toBe(403);
      expect(guessed.headers.get('location')).toBeNull();
      await server.close();
      await store.close();
    });

    test('an install link works once: reusing it is refused', async () => {
      const store = await open();
      const server = await oauthServer(sandbox, store);
      const url = await link(server, store);
      expect((await fetch(url, { redirect: 'manual' })).status).toBe(302);
      const again = await fetch(url, { redirect: 'manual' });
      expect(again.status).toBe(403);
      await server.close();
      await store.close();
    });

    test('an expired install link is refused', async () => {
      const store = await open();
      const server = await oauthServer(sandbox, store);
      const expired = await store.store.createInstallLink(-1);
      const res = await fetch(`${server.url}/slack/install?link=${expired.token}`, { redirect: 'manual' });
      expect(res.status).toBe(403);
      await server.close();
      await store.close();
    });

    test("an outsider's workspace installing after the organization is refused with a clear page, nothing is stored, and the integration stays with the organization", async () => {
      const store = await open();
      const server = await oauthServer(sandbox, store);
      const first = await installAs(sandbox, await link(server, store), 'U0ALICE');
      expect(first.status).toBe(200);
      expect(first.page).toContain('Slack connected');

      // Even holding a valid link (leaked, or a careless admin's), the outsider cannot take over.
      const attack = await installAs(sandbox, await link(server, store), 'U0MALLORY');
      expect(attack.status).toBe(403);
      expect(attack.page).toContain('Slack was not connected: another workspace');
      expect(attack.page).toContain('T0OUTSIDER');
      expect(attack.page).toContain('nothing was stored');
      await expect(store.store.fetchInstallation({ teamId: 'T0OUTSIDER', enterpriseId: undefined, isEnterpriseInstall: false })).rejects.toThrow();
      expect(await organizationTeam(sandbox, store)).toBe('T0SANDBOX');

      // The organization's own workspace may reinstall (to add scopes).
      expect((await installAs(sandbox, await link(server, store), 'U0BOB')).status).toBe(200);
      expect(await organizationTeam(sandbox, store)).toBe('T0SANDBOX');
      await server.close();
      await store.close();
    });

    test('with a configured teamId, an outsider installing first is refused and nothing is stored', async () => {
      const store = await open();
      const server = await oauthServer(sandbox, store, { organization: { teamId: 'T0SANDBOX' } });
      const attack = await installAs(sandbox, await link(server, store), 'U0MALLORY');
      expect(attack.status).toBe(403);
      expect(attack.page).toContain('belongs to the workspace T0SANDBOX');
      await expect(store.store.fetchInstallation({ teamId: 'T0OUTSIDER', enterpriseId: undefined, isEnterpriseInstall: false })).rejects.toThrow();
      // The configured workspace then installs normally.
      expect((await installAs(sandbox, await link(server, store), 'U0ALICE')).status).toBe(200);
      expect(await organizationTeam(sandbox, store, { teamId: 'T0SANDBOX' })).toBe('T0SANDBOX');
      await server.close();
      await store.close();
    });
  });

  test('the installation files are readable by the server alone (0600 files in a 0700 folder)', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sr-takeover-'));
    const store = await openInstallationStore({ dataDir });
    const server = await oauthServer(sandbox, store);
    expect((await installAs(sandbox, await link(server, store), 'U0ALICE')).status).toBe(200);
    const root = path.join(dataDir, 'installations');
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name), ...walk(path.join(dir, e.name))] : [path.join(dir, e.name)]));
    const entries = walk(root);
    expect(entries.some((e) => e.endsWith('app-latest'))).toBe(true);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    for (const entry of entries) expect([entry, statSync(entry).mode & 0o777]).toEqual([entry, statSync(entry).isDirectory() ? 0o700 : 0o600]);
    await server.close();
  });

  test('an API token without integrations:install cannot mint an install link; an admin token can', async () => {
    const store = await openInstallationStore({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'sr-takeover-')) });
    const app = await buildServer({
      temporal: await deadTemporalClient(),
      logger: false,
      apiTokens: [
        { name: 'pipeline', token: 'pipeline-token-0123456789', permissions: ['approvals:write', 'approvals:read'] },
        { name: 'admin', token: 'admin-token-0123456789abcd', permissions: ['integrations:install'] },
      ],
      slackOAuth: { clientId: sandbox.oauthApp.clientId, clientSecret: sandbox.oauthApp.clientSecret, stateSecret: 'a-state-secret-for-tests', installationStore: store.store, apiUrl: sandbox.apiUrl, publicUrl: 'http://127.0.0.1:1' },
    });
    const refused = await app.inject({ method: 'POST', url: '/api/v1/integrations/install-links', headers: { authorization: 'Bearer pipeline-token-0123456789' } });
    expect(refused.statusCode).toBe(403);
    const minted = await app.inject({ method: 'POST', url: '/api/v1/integrations/install-links', headers: { authorization: 'Bearer admin-token-0123456789abcd' } });
    expect(minted.statusCode).toBe(201);
    const { url } = minted.json();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:1\/slack\/install\?link=/);
    const install = await app.inject({ method: 'GET', url: new URL(url).pathname + new URL(url).search });
    expect(install.statusCode).toBe(302);
    expect(install.headers.location).toContain(`${sandbox.url}/oauth/v2/authorize?`);
    await app.close();
  });
});
