/**
 * `signalroom server`: only the HTTP server (Slack's Request URL, the
 * pipeline API, health and metrics), against the Temporal cluster from the
 * environment. Run several behind a load balancer; they share nothing.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { lazyClient } from '../temporal/connection';
import { createRuntime, type Runtime } from '../runtime';
import { buildServer, type ServerDeps } from '../server/app';
import { featureApiRoutes, featureInteractionRoutes } from '../server/features';
import type { SlackOAuthOptions } from '../server/slack-oauth';
import { DEFAULT_SLACK_API_URL } from '../slack/integrations';
import { IncidentService } from '../incidents/service';
import { responderAccess } from '../incidents/command-access';
import { approvalNamesOf } from '../approvals/client';
import { callbackCheck } from '../approvals/callback-check';
import { requesterCheck } from '../approvals/requester-check';
import { FreezeService } from '../freezes/service';
import { freezeGroupAccess } from '../freezes/command-access';

export interface ServerCommandOptions {
  port?: number;
  /** @default 0.0.0.0 (Slack must reach it, usually through a proxy) */
  host?: string;
}

/** The server's dependencies from a runtime (configuration, Slack apps) and a Temporal client; `dev` uses it too. */
export function serverDepsFrom(runtime: Runtime, temporal: Client, extra: Partial<ServerDeps> = {}): ServerDeps {
  const incidents = new IncidentService(temporal, runtime.env.SIGNALROOM_TASK_QUEUE, runtime.config.runbooks.dirs);
  return {
    temporal,
    slackApps: () => runtime.integrations.slackApps(),
    interactionRoutes: featureInteractionRoutes(),
    apiTokens: runtime.config.api.tokens,
    apiRoutes: featureApiRoutes({
      temporal,
      taskQueue: runtime.env.SIGNALROOM_TASK_QUEUE,
      runbookDirs: runtime.config.runbooks.dirs,
      approvalNames: () => approvalNamesOf(runtime.config),
      checkRequester: requesterCheck(runtime.integrations),
      checkCallback: callbackCheck({ policy: runtime.integrations.outboundPolicy(), signingSecret: runtime.config.callbacks.signingSecret }),
    }),
    slack: { integrations: runtime.integrations },
    // /readyz is public: it says whether the configuration loaded, never from which path.
    readinessChecks: { config: () => (runtime.configFile ? 'loaded' : 'loaded (built-in defaults)') },
    slackOAuth: slackOAuthFrom(runtime),
    slashCommands: {
      incidents,
      authorize: responderAccess({ config: runtime.config, integrations: runtime.integrations, incidents }),
      freezes: { service: new FreezeService(temporal, runtime.env.SIGNALROOM_TASK_QUEUE), authorize: freezeGroupAccess({ config: runtime.config, integrations: runtime.integrations }) },
    },
    ...(Object.keys(runtime.config.github.apps).length ? { github: { config: () => runtime.config.github, taskQueue: runtime.env.SIGNALROOM_TASK_QUEUE, approvalNames: () => approvalNamesOf(runtime.config) } } : {}),
    ...extra,
  };
}

/** OAuth is on when the organization app has a client id, client secret and state secret. */
export function slackOAuthFrom(runtime: Runtime, overrides: { clientId?: string; clientSecret?: string; stateSecret?: string; apiUrl?: string } = {}): SlackOAuthOptions | undefined {
  const org = runtime.config.slack.organization ?? {};
  const clientId = overrides.clientId ?? org.clientId;
  const clientSecret = overrides.clientSecret ?? org.clientSecret;
  const stateSecret = overrides.stateSecret ?? org.stateSecret;
  if (!clientId || !clientSecret || !stateSecret) return undefined;
  return {
    clientId,
    clientSecret,
    stateSecret,
    installationStore: runtime.installations.store,
    organization: { teamId: org.teamId, enterpriseId: org.enterpriseId },
    apiUrl: overrides.apiUrl ?? org.apiUrl ?? runtime.env.SLACK_API_URL ?? DEFAULT_SLACK_API_URL,
    publicUrl: publicUrlOf(runtime),
  };
}

/** Where people reach this server (links it prints point there). */
export function publicUrlOf(runtime: Runtime): string {
  return runtime.env.SIGNALROOM_PUBLIC_URL ?? `http://127.0.0.1:${runtime.env.PORT}`;
}

export async function runServer(options: ServerCommandOptions = {}): Promise<void> {
  const runtime = await createRuntime();
  // Lazy: the server starts, acknowledges clicks (retrying them) and reports not-ready while Temporal is down.
  const temporal = lazyClient();
  let app: FastifyInstance | undefined;
  try {
    app = await buildServer(serverDepsFrom(runtime, temporal));
    const port = options.port ?? runtime.env.PORT;
    await app.listen({ port, host: options.host ?? '0.0.0.0' });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    app.log.info('stopping: finishing requests and click deliveries in flight');
  } finally {
    // close(): stop accepting, finish requests in flight, then give background click deliveries their grace.
    await app?.close();
    await temporal.connection.close();
    await runtime.close();
  }
}
