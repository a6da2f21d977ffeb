/**
 * What an attacker faces: the approval stack (sandbox Slack, worker, the real
 * HTTP server as the sandbox's Request URL) with a second Slack app, a
 * project connector with its own signing secret, app id and workspace, and
 * a way to send Slack requests signed with any secret.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { SANDBOX_APP_ID } from '../../src/sandbox/state';
import { ConfigSchema, type SignalroomConfig } from '../../src/config/schema';
import { IntegrationRegistry } from '../../src/slack/integrations';
import { buildServer, type ServerDeps } from '../../src/server/app';
import { featureApiRoutes, featureInteractionRoutes } from '../../src/server/features';
import { approvalNamesOf } from '../../src/approvals/client';
import { requesterCheck } from '../../src/approvals/requester-check';
import { computeSlackSignature } from '../../src/server/slack-signature';
import { testClient, testWorker, type TestWorker } from '../support/temporal';
import { rememberSecrets } from '../support/slack';

export const CHANNEL = 'C0DEPLOYS';
export const CONNECTOR_SECRET = 'connector-signing-secret-0123456789ab';
export const CONNECTOR_APP_ID = 'A0PAYMENTS';
export const CONNECTOR_TEAM_ID = 'T0PAYMENTS';

export interface SecurityStack {
  sandbox: Sandbox;
  client: Client;
  worker: TestWorker;
  server: FastifyInstance;
  serverUrl: string;
  config: SignalroomConfig;
  integrations: IntegrationRegistry;
  /** POSTs a form body to the server as Slack would, signed with `secret`. */
  slackPost(path: '/slack/interactions' | '/slack/commands', body: string, secret: string): Promise<{ status: number; body: string }>;
  /** An API call with a bearer token. */
  api(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface SecurityStackOptions {
  config?: Record<string, unknown>;
  server?: Partial<ServerDeps>;
}

export async function securityStack(options: SecurityStackOptions = {}): Promise<SecurityStack> {
  const sandbox = await startSandbox({ rateLimits: false });
  const raw = options.config ?? {};
  const config = ConfigSchema.parse({
    approverGroups: { release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } },
    ...raw,
    slack: {
      organization: { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl, appId: SANDBOX_APP_ID, teamId: 'T0SANDBOX' },
      connectors: { payments: { botToken: sandbox.botToken, signingSecret: CONNECTOR_SECRET, appId: CONNECTOR_APP_ID, teamId: CONNECTOR_TEAM_ID, apiUrl: sandbox.apiUrl } },
      ...(raw.slack as object | undefined),
    },
  });
  rememberSecrets(sandbox.botToken, sandbox.signingSecret, CONNECTOR_SECRET);
  const integrations = new IntegrationRegistry(config, { timeoutMs: 3000 });
  const client = await testClient();
  const worker = await testWorker({ activityDeps: { integrations } });
  const running = worker.worker.run();
  const server = await buildServer({
    temporal: client,
    logger: false,
    metrics: { defaultMetrics: false },
    interactionRoutes: featureInteractionRoutes(),
    slack: { integrations },
    apiTokens: config.api.tokens,
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: worker.taskQueue, approvalNames: () => approvalNamesOf(config), checkRequester: requesterCheck(integrations) }),
    ...options.server,
  });
  const serverUrl = await server.listen({ port: 0, host: '127.0.0.1' });
  sandbox.setRequestUrl(`${serverUrl}/slack/interactions`);
  return {
    sandbox,
    client,
    worker,
    server,
    serverUrl,
    config,
    integrations,
    async slackPost(path, body, secret) {
      const ts = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${serverUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(secret, ts, body) },
        body,
      });
      return { status: res.status, body: await res.text() };
    },
    async api(method, url, token, body) {
      const res = await fetch(`${serverUrl}/api/v1${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async close() {
      await server.close();
      worker.worker.shutdown();
      await running;
      await worker.close();
      await client.connection.close();
      await sandbox.close();
    },
  };
}

/** A block_actions payload as Slack sends it, for a button on `messageTs` in `channel`. */
export function clickPayload(o: { userId: string; teamId?: string; appId?: string; channel?: string; messageTs: string; actionId: string; value: string; responseUrl: string }) {
  const team = o.teamId ?? 'T0SANDBOX';
  return {
    type: 'block_actions',
    user: { id: o.userId, username: o.userId.toLowerCase(), name: o.userId.toLowerCase(), team_id: team },
    api_app_id: o.appId ?? SANDBOX_APP_ID,
    token: 'unused',
    container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel ?? CHANNEL, is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: team, domain: 'x' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: o.channel ?? CHANNEL, name: 'deploys' },
    response_url: o.responseUrl,
    actions: [{ type: 'button', action_id: o.actionId, block_id: 'b', value: o.value, action_ts: `${Date.now() / 1000}` }],
  };
}

export const formOf = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

export { eventually } from '../support/eventually';
