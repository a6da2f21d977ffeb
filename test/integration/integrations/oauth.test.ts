/**
 * "Connect Slack" end to end against the sandbox: /slack/install redirects to
 * Slack's authorize page, a person allows it, /slack/oauth_redirect exchanges
 * the code with oauth.v2.access (through @slack/oauth), and the installation
 * lands in PostgreSQL — or in the embedded file store when no database is set.
 * The organization integration then uses that installation's token.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Client as PgClient, Pool } from 'pg';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { slackOAuthRoutes } from '../../../src/server/slack-oauth';
import { openInstallationStore, type InstallationStoreHandle } from '../../../src/store/installations';
import { ConfigSchema } from '../../../src/config/schema';
import { IntegrationRegistry } from '../../../src/slack/integrations';

const ADMIN_URL = process.env.SIGNALROOM_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `signalroom_test_${process.pid}`;

async function connectSlack(sandbox: Sandbox, store: InstallationStoreHandle): Promise<{ app: FastifyInstance; page: string }> {
  const app = Fastify();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const publicUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  await app.close();
  const real = Fastify();
  await real.register(slackOAuthRoutes, {
    clientId: sandbox.oauthApp.clientId,
    clientSecret: sandbox.oauthApp.clientSecret,
    stateSecret: 'a-state-secret-for-tests',
    installationStore: store.store,
    apiUrl: sandbox.apiUrl,
    publicUrl,
  });
  await real.listen({ port: Number(new URL(publicUrl).port), host: '127.0.0.1' });

  // Starting an install needs a one-time link (`signalroom install-link`).
  const link = await store.store.createInstallLink();
  const install = await fetch(`${publicUrl}/slack/install?link=${link.token}`, { redirect: 'manual' });
  expect(install.status).toBe(302);
  const authorizeUrl = install.headers.get('location')!;
  expect(authorizeUrl.startsWith(`${sandbox.url}/oauth/v2/authorize?`)).toBe(true);
  expect(new URL(authorizeUrl).searchParams.get('scope')).toContain('channels:manage');
  const cookie = install.headers.get('set-cookie')!.split(';')[0];

  const back = await sandbox.authorize(authorizeUrl, { userId: 'U0ALICE' });
  expect(back.startsWith(`${publicUrl}/slack/oauth_redirect?code=`)).toBe(true);
  const done = await fetch(back, { headers: { cookie }, redirect: 'manual' });
  const page = await done.text();
  expect(done.status).toBe(200);
  return { app: real, page };
}

describe('Connect Slack (OAuth v2)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
  });
  afterAll(() => sandbox.close());

  describe('with PostgreSQL (DATABASE_URL)', () => {
    let admin: PgClient;
    beforeAll(async () => {
      admin = new PgClient({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
      await admin.query(`CREATE DATABASE ${dbName}`);
    });
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    });

    test('the installation is stored in PostgreSQL and the organization integration uses it', async () => {
      const url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
      const store = await openInstallationStore({ databaseUrl: url, dataDir: 'unused' });
      expect(store.kind).toBe('postgres');
      const { app, page } = await connectSlack(sandbox, store);
      expect(page).toContain('Slack connected');
      expect(page).toContain('Signalroom Sandbox');

      const pool = new Pool({ connectionString: url });
      pool.on('error', () => undefined);
      const rows = (await pool.query('SELECT team_id, bot_user_id, scopes, installation FROM slack_installations')).rows;
      expect(rows).toHaveLength(1);
      expect(rows[0].team_id).toBe('T0SANDBOX');
      expect(rows[0].scopes).toContain('channels:manage');
      expect(rows[0].installation.bot.token).toMatch(/^xoxb-/);
      expect((await pool.query('SELECT name FROM schema_migrations ORDER BY name')).rows.map((r) => r.name)).toEqual(['001_slack_installations.sql', '002_organization_pin.sql']);
      await pool.end();

      const registry = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { apiUrl: sandbox.apiUrl } } }), { installationStore: store.store });
      const org = await registry.get('organization');
      const auth = await org.client.auth.test();
      expect(auth.team_id).toBe('T0SANDBOX');
      await app.close();
      await store.close();
    });
  });

  test('without a database, the embedded file store keeps the installation', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sr-oauth-'));
    const store = await openInstallationStore({ dataDir });
    expect(store.kind).toBe('file');
    const { app } = await connectSlack(sandbox, store);
    const registry = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { apiUrl: sandbox.apiUrl } } }), { installationStore: store.store });
    expect((await (await registry.get('organization')).client.auth.test()).team_id).toBe('T0SANDBOX');
    await app.close();
  });

  test('a person who cancels on the authorize page gets a clear failure page and nothing is stored', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sr-oauth-'));
    const store = await openInstallationStore({ dataDir });
    const app = Fastify();
    await app.register(slackOAuthRoutes, {
      clientId: sandbox.oauthApp.clientId,
      clientSecret: sandbox.oauthApp.clientSecret,
      stateSecret: 'a-state-secret-for-tests',
      installationStore: store.store,
      apiUrl: sandbox.apiUrl,
      publicUrl: 'http://127.0.0.1:1',
    });
    const res = await app.inject({ method: 'GET', url: '/slack/oauth_redirect?error=access_denied&state=x' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Slack was not connected');
    await expect(store.store.fetchInstallation({ teamId: undefined, enterpriseId: undefined, isEnterpriseInstall: false })).rejects.toThrow(/install-link/);
    await app.close();
  });
});
