/**
 * The HTTP app factory: builds the Fastify instance without listening, so
 * tests drive it through inject() and the CLI decides where it listens.
 * One plugin per concern: errors, metrics, health, Slack interactions, GitHub
 * webhooks, /api/v1.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import type { Client } from '@temporalio/client';
import { apiV1, API_PREFIX } from './api';
import type { ApiTokenConfig } from './api-auth';
import { ClickDelivery, DEFAULT_CLICK_RATE_LIMIT, DEFAULT_DELIVERY_POLICY, postEphemeralTo, type ClickRateLimit, type DeliveryPolicy, type RespondToClicker } from './click-delivery';
import { errorHandling } from './errors';
import { healthRoutes, type ReadinessCheck } from './health';
import type { InteractionRoute } from './interaction-routes';
import { createServerMetrics, metricsPlugin, type MetricsOptions } from './metrics';
import { RequestLog } from './request-log';
import { slackInteractions, type OpenSlackView } from './slack-interactions';
import type { SlackAppsSource } from './slack-request';
import { installLinkApiRoutes, slackOAuthRoutes, type SlackOAuthOptions } from './slack-oauth';
import { slackCommands, type CommandAuthorizer, type SlackFreezeCommands } from './slack-commands';
import { githubWebhooks, type GitHubWebhookOptions } from './github-webhooks';
import type { IncidentService } from '../incidents/service';
import { groupBySecret, ORGANIZATION, type IntegrationRegistry, type OrganizationWorkspace, type SlackApp } from '../slack/integrations';
import { MAX_APPROVAL_ID_LENGTH } from '../approvals/client';
import type { Logger as PinoLogger } from 'pino';
import { loggerOptions, skipNeedlessRedaction, stdoutDestination } from '../logging';

export interface ServerDeps {
  /** Temporal client used to start and signal workflows. */
  temporal: Client;
  /** Pino logger options, or false for none. Secrets are always redacted. @default info-level JSON logs */
  logger?: boolean | Exclude<FastifyServerOptions['logger'], boolean | undefined>;
  /**
   * The Slack apps requests may come from, each with its signing secret and
   * the ids that identify it (see slack-request.ts). @default from `slack.integrations`, else none: every click is refused
   */
  slackApps?: readonly SlackApp[] | SlackAppsSource;
  /** Shorthand for one app per secret, all backing the organization integration (single-app setups, tests). */
  signingSecrets?: readonly string[];
  /**
   * Where click replies may go besides Slack's hosts (a self-hosted Slack
   * API such as the sandbox: `<origin>/actions/`). @default from `slack.integrations`
   */
  responseUrlBases?: readonly string[];
  /** Clicks one person may make on one run before they are throttled. @default DEFAULT_CLICK_RATE_LIMIT */
  clickRateLimit?: Partial<ClickRateLimit>;
  /** Where Slack interactions go, tried in order (see `featureRoute`). @default none */
  interactionRoutes?: readonly InteractionRoute[];
  /** API tokens (config `api.tokens`). @default none: every /api/v1 call but the document is refused */
  apiTokens?: readonly ApiTokenConfig[];
  /** Feature routes registered inside /api/v1 (authenticated, documented). @default none */
  apiRoutes?: readonly FastifyPluginAsync[];
  /** Readiness checks besides Temporal, by name (e.g. `config`). @default none */
  readinessChecks?: Record<string, ReadinessCheck>;
  /** Click delivery timing. @default DEFAULT_DELIVERY_POLICY (2 minutes of retries) */
  delivery?: Partial<DeliveryPolicy>;
  /** How the clicker is answered through response_url. @default an HTTPS POST (postEphemeral) */
  respondToClicker?: RespondToClicker;
  /** Clock for the signature's replay window, in ms. @default Date.now */
  now?: () => number;
  /** Largest accepted Slack request body. @default 65536 */
  interactionBodyLimit?: number;
  metrics?: MetricsOptions;
  /** The version the OpenAPI document states. @default the package version */
  version?: string;
  /** "Connect Slack" (OAuth v2) for the organization integration: /slack/install and /slack/oauth_redirect. @default off */
  slackOAuth?: SlackOAuthOptions;
  /** The /signalroom slash command at /slack/commands. @default off */
  slashCommands?: { incidents: IncidentService; lookupBudgetMs?: number; authorize?: CommandAuthorizer; workspace?: () => Promise<OrganizationWorkspace>; freezes?: SlackFreezeCommands };
  /**
   * The Slack integrations, for what the server itself must call Slack for:
   * opening a modal within the click's 3-second trigger_id. @default none: routes cannot open modals
   */
  slack?: { integrations: IntegrationRegistry };
  /** POST /github/webhooks: GitHub deployment protection rules (src/server/github-webhooks.ts). @default off */
  github?: Omit<GitHubWebhookOptions, 'temporal'>;
}

/** Never logged: the one list every process redacts (src/logging.ts). */
export { REDACTED_PATHS } from '../logging';

/** Query parameters that are capabilities: a one-time install link, an OAuth code and state. */
const SECRET_QUERY = /([?&](?:link|code|state)=)[^&#]*/g;

/** A request as logged: Fastify's usual fields, with capabilities in the query redacted. */
function requestForLog(req: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) {
  return { method: req.method, url: req.url.replace(SECRET_QUERY, '$1[redacted]'), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

/** The worker's logger options (src/logging.ts: JSON, LOG_LEVEL, redaction, stdout), with Fastify's request as logged. */
function serverLoggerOptions(logger: ServerDeps['logger']): FastifyServerOptions['logger'] {
  if (logger === false) return false;
  const base = logger === true || logger === undefined ? {} : logger;
  // Fastify hands `stream` to pino: stdout, bounded as every process's is, unless the caller chose where.
  const where = 'stream' in base || 'file' in base ? {} : { stream: stdoutDestination() };
  return { ...where, ...loggerOptions({ ...base, serializers: { req: requestForLog } }) } as FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: serverLoggerOptions(deps.logger),
    // Keep a caller's request id (a proxy's x-request-id) when it is sane; otherwise make one.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // One line per click instead of three (src/server/request-log.ts).
    logController: new RequestLog(),
    // Slack retries an unanswered click after 3 seconds; finish in-flight requests on close.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // An approval id in a path, percent-encoded (a ":" is three characters): any id creation allows can be named.
    routerOptions: { maxParamLength: 3 * MAX_APPROVAL_ID_LENGTH },
  });
  // pino's redaction, without its work where no redacted path can reach (src/logging.ts).
  skipNeedlessRedaction(app.log as unknown as PinoLogger);
  // A callback, not an async function: every request passes here, and a promise per request is not free.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  const metrics = createServerMetrics(deps.metrics);
  const responseUrlBases = () => deps.responseUrlBases ?? deps.slack?.integrations.responseUrlBases() ?? [];
  const delivery = new ClickDelivery(
    deps.temporal,
    { ...DEFAULT_DELIVERY_POLICY, ...deps.delivery },
    deps.respondToClicker ?? postEphemeralTo(responseUrlBases),
    metrics.countClick,
    app.log,
    { ...DEFAULT_CLICK_RATE_LIMIT, ...deps.clickRateLimit },
  );
  // Requests in flight finish first (Fastify closes the listener), then background deliveries get their grace.
  app.addHook('onClose', async () => delivery.drain());

  const apps = slackAppsOf(deps);
  if (apps().length === 0) app.log.warn('no Slack signing secret configured: every Slack interaction will be refused');

  await app.register(errorHandling);
  await app.register(metricsPlugin, { metrics });
  await app.register(healthRoutes, { temporal: deps.temporal, checks: deps.readinessChecks });
  await app.register(slackInteractions, {
    apps,
    responseUrlBases,
    routes: deps.interactionRoutes ?? [],
    delivery,
    metrics,
    openView: deps.slack ? openViewWith(deps.slack.integrations) : undefined,
    bodyLimit: deps.interactionBodyLimit ?? 64 * 1024,
    now: deps.now ?? Date.now,
  });
  if (deps.slackOAuth) await app.register(slackOAuthRoutes, deps.slackOAuth);
  if (deps.slashCommands) {
    // Commands answer the organization's own workspace only: from configuration, else asked of Slack (auth.test).
    const integrations = deps.slack?.integrations;
    const workspace = deps.slashCommands.workspace ?? (integrations ? () => integrations.organizationWorkspace() : undefined);
    await app.register(slackCommands, { ...deps.slashCommands, workspace, apps, metrics, temporal: deps.temporal, now: deps.now ?? Date.now });
  }
  if (deps.github) await app.register(githubWebhooks, { ...deps.github, temporal: deps.temporal });
  await app.register(apiV1, {
    prefix: API_PREFIX,
    tokens: deps.apiTokens ?? [],
    routes: [...(deps.apiRoutes ?? []), ...(deps.slackOAuth ? [installLinkApiRoutes(deps.slackOAuth)] : [])],
    version: deps.version ?? packageVersion(),
  });
  return app;
}

/** The Slack apps, however they were given. */
function slackAppsOf(deps: ServerDeps): SlackAppsSource {
  if (typeof deps.slackApps === 'function') return deps.slackApps;
  if (deps.slackApps) {
    const fixed = deps.slackApps;
    return () => fixed;
  }
  if (deps.signingSecrets) {
    const fixed = groupBySecret(deps.signingSecrets.map((signingSecret) => ({ integration: ORGANIZATION, signingSecret })));
    return () => fixed;
  }
  const integrations = deps.slack?.integrations;
  return integrations ? () => integrations.slackApps() : () => [];
}

/** `views.open` through the integration a route names, bounded so the click is still acknowledged in time. */
function openViewWith(integrations: IntegrationRegistry): OpenSlackView {
  return async ({ integration, view }, triggerId) => {
    const { client } = await integrations.get(integration ?? ORGANIZATION);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('Slack did not answer in time')), 2500);
    });
    try {
      await Promise.race([client.views.open({ trigger_id: triggerId, view: view as never }), late]);
    } catch (err) {
      // The Web API's error carries Slack's code (expired_trigger_id, invalid_arguments): that is the useful part.
      const code = (err as { data?: { error?: string } }).data?.error;
      throw new Error(code ?? (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}
