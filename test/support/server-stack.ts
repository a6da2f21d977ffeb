/**
 * The whole of Signalroom for a test file: the sandbox Slack, a worker on the
 * shared dev server with activities against the sandbox, and the real HTTP
 * server listening on a free port as the sandbox's Request URL. Every secret
 * of its configuration is added to the suite's secrets scan. A test file may
 * give it a namespace of its own (`isolatedNamespace`).
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Sandbox } from '../../src/sandbox';
import { ConfigSchema, type SignalroomConfig } from '../../src/config/schema';
import { IntegrationRegistry } from '../../src/slack/integrations';
import { buildServer } from '../../src/server/app';
import { featureApiRoutes, featureInteractionRoutes } from '../../src/server/features';
import { approvalNamesOf } from '../../src/approvals/client';
import { requesterCheck } from '../../src/approvals/requester-check';
import { callbackCheck } from '../../src/approvals/callback-check';
import { computeSlackSignature } from '../../src/server/slack-signature';
import { runningWorker, type TestWorker } from './temporal';
import { configSecrets, rememberSecrets, testSandbox } from './slack';

export interface ServerStack {
  sandbox: Sandbox;
  client: Client;
  worker: TestWorker;
  server: FastifyInstance;
  serverUrl: string;
  config: SignalroomConfig;
  integrations: IntegrationRegistry;
  /** POSTs a form body to the server as Slack would, signed with `secret`. */
  slackPost(path: '/slack/interactions' | '/slack/commands', body: string, secret: string): Promise<{ status: number; body: string }>;
  /** An `/api/v1` call with a bearer token. */
  api(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * @param configFor the configuration, given the sandbox (its tokens and URLs);
 *   its `slack.organization` is merged over an organization integration
 *   pointing at the sandbox. API tokens come from its `api.tokens`.
 */
export async function serverStack(configFor: (sandbox: Sandbox) => Record<string, unknown> = () => ({}), options: { namespace?: string } = {}): Promise<ServerStack> {
  const sandbox = await testSandbox();
  const raw = configFor(sandbox) as { slack?: Record<string, unknown> };
  const config = ConfigSchema.parse({
    ...raw,
    slack: {
      ...raw.slack,
      organization: { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl, ...(raw.slack?.organization as object | undefined) },
    },
  });
  rememberSecrets(...configSecrets(config));
  const integrations = new IntegrationRegistry(config, { timeoutMs: 3000 });
  const temporal = await runningWorker({ activityDeps: { integrations, callbacks: config.callbacks, github: config.github } }, options.namespace);
  const { client, worker } = temporal;
  const server = await buildServer({
    temporal: client,
    logger: false,
    metrics: { defaultMetrics: false },
    interactionRoutes: featureInteractionRoutes(),
    slack: { integrations },
    apiTokens: config.api.tokens,
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: worker.taskQueue, runbookDirs: config.runbooks.dirs, approvalNames: () => approvalNamesOf(config), checkRequester: requesterCheck(integrations), checkCallback: callbackCheck({ policy: integrations.outboundPolicy(), signingSecret: config.callbacks.signingSecret }) }),
    ...(Object.keys(config.github.apps).length ? { github: { config: () => config.github, taskQueue: worker.taskQueue, approvalNames: () => approvalNamesOf(config) } } : {}),
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
      await temporal.stop();
      await sandbox.close();
    },
  };
}
