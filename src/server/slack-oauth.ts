/**
 * "Connect Slack" for the organization-level integration: /slack/install
 * starts Slack's OAuth v2 flow and /slack/oauth_redirect stores the
 * installation, both through @slack/oauth's InstallProvider.
 */
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { InstallProvider, type InstallationStore, type InstallProviderOptions } from '@slack/oauth';
import { BOT_SCOPES } from '../slack/scopes';

export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  installationStore: InstallationStore;
  /** Slack Web API base URL (the sandbox in development). */
  apiUrl: string;
  /** Public URL of this server, for the redirect_uri. */
  publicUrl: string;
}

/** Slack's authorize page lives beside its API: https://slack.com/oauth/v2/authorize. */
export function authorizeUrlFor(apiUrl: string): string {
  return new URL('../oauth/v2/authorize', apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`).toString();
}

type SlackLogger = NonNullable<InstallProviderOptions['logger']>;

/** @slack/oauth's logger interface on the server's own logger, so its messages are structured (and silent when logging is off). */
function slackLoggerOn(log: FastifyBaseLogger): SlackLogger {
  const child = log.child({ component: 'slack-oauth' });
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : String(p))).join(' ');
  let level = 'info';
  return {
    debug: (...m: unknown[]) => child.debug(text(m)),
    info: (...m: unknown[]) => child.info(text(m)),
    warn: (...m: unknown[]) => child.warn(text(m)),
    error: (...m: unknown[]) => child.error(text(m)),
    setLevel: (l: string) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  } as SlackLogger;
}

export function createInstaller(options: SlackOAuthOptions, log?: FastifyBaseLogger): InstallProvider {
  return new InstallProvider({
    ...(log ? { logger: slackLoggerOn(log) } : {}),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    stateSecret: options.stateSecret,
    installationStore: options.installationStore,
    authorizationUrl: authorizeUrlFor(options.apiUrl),
    clientOptions: { slackApiUrl: options.apiUrl },
    directInstall: true,
    installUrlOptions: {
      scopes: Object.keys(BOT_SCOPES),
      redirectUri: new URL('/slack/oauth_redirect', options.publicUrl).toString(),
    },
  });
}

export const slackOAuthRoutes: FastifyPluginAsync<SlackOAuthOptions> = async (app, options) => {
  const installer = createInstaller(options, app.log);
  app.get('/slack/install', async (req, reply) => {
    reply.hijack();
    await installer.handleInstallPath(req.raw, reply.raw);
  });
  app.get('/slack/oauth_redirect', async (req, reply) => {
    reply.hijack();
    await installer.handleCallback(req.raw, reply.raw, {
      success: (installation, _opts, _req, res) => {
        app.log.info({ team: installation.team?.id }, 'Slack installed');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><h1>Slack connected</h1><p>Signalroom is installed in workspace ${escapeHtml(installation.team?.name ?? installation.team?.id ?? '')}.</p>`);
      },
      failure: (error, _opts, _req, res) => {
        app.log.warn({ err: error.message }, 'Slack install failed');
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><h1>Slack was not connected</h1><p>${escapeHtml(error.message)}</p><p><a href="/slack/install">Try again</a></p>`);
      },
    });
  });
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
