/**
 * "Connect Slack" for the organization-level integration: /slack/install
 * starts Slack's OAuth v2 flow and /slack/oauth_redirect stores the
 * installation, both through @slack/oauth's InstallProvider.
 *
 * Whoever installs the organization integration decides where approval cards
 * go and who the approvers are, so both ends are guarded: starting an install
 * needs a one-time install link (printed by `signalroom install-link`, or
 * minted through the API by a token with `integrations:install`), and the
 * callback stores an installation only from the pinned workspace (configured
 * `teamId` / `enterpriseId`, else the first install, recorded in the store).
 */
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { ServerResponse } from 'node:http';
import { InstallProvider, type Installation, type InstallProviderOptions } from '@slack/oauth';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BOT_SCOPES } from '../slack/scopes';
import { apiErrorResponses } from './api';
import { INSTALL_LINK_TTL_MS, installationKey, type SignalroomInstallationStore } from '../store/installations';

/** The workspace the organization integration belongs to, from configuration (`slack.organization`). */
export interface ConfiguredOrganization {
  teamId?: string;
  enterpriseId?: string;
}

export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  installationStore: SignalroomInstallationStore;
  /** Pins the organization integration to this workspace. @default the first workspace installed */
  organization?: ConfiguredOrganization;
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

/** The install URL a one-time link opens. */
export function installLinkUrl(publicUrl: string, token: string): string {
  const url = new URL('/slack/install', publicUrl);
  url.searchParams.set('link', token);
  return url.toString();
}

/**
 * Does this installation belong to the organization? A configured team or
 * enterprise decides; otherwise the first install is recorded as the pin and
 * every later one must come from the same workspace (reinstalls to add scopes).
 */
async function belongsToOrganization(installation: Installation<'v1' | 'v2', boolean>, options: SlackOAuthOptions): Promise<{ ok: true } | { ok: false; pinned: string }> {
  const configured = options.organization ?? {};
  if (configured.enterpriseId) {
    return installation.enterprise?.id === configured.enterpriseId ? { ok: true } : { ok: false, pinned: `the Enterprise Grid organization ${configured.enterpriseId}` };
  }
  if (configured.teamId) {
    return installation.team?.id === configured.teamId && !installation.isEnterpriseInstall ? { ok: true } : { ok: false, pinned: `the workspace ${configured.teamId}` };
  }
  const key = installationKey(installation);
  const pinned = await options.installationStore.claimOrganization(key, installation.enterprise?.id);
  return pinned === key ? { ok: true } : { ok: false, pinned: `the workspace it was first installed in (${pinned.slice(2)})` };
}

function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}

const ASK_FOR_A_LINK = '<p>Ask an administrator for a new install link: <code>signalroom install-link</code>, or <code>POST /api/v1/integrations/install-links</code> with a token that has <code>integrations:install</code>.</p>';

export const slackOAuthRoutes: FastifyPluginAsync<SlackOAuthOptions> = async (app, options) => {
  const installer = createInstaller(options, app.log);
  // Only a GET uses the link: a HEAD (a chat client unfurling the pasted link) is answered
  // without consuming it, so the administrator's own click still works.
  app.head('/slack/install', async (_req, reply) => reply.type('text/html; charset=utf-8').send(''));
  app.get('/slack/install', { exposeHeadRoute: false }, async (req, reply) => {
    const link = (req.query as Record<string, unknown>).link;
    if (typeof link !== 'string' || !(await options.installationStore.consumeInstallLink(link))) {
      app.log.warn('Slack install refused: no valid install link');
      reply.hijack();
      sendPage(reply.raw, 403, 'This install link is not valid', `<p>Connecting Slack needs a one-time install link, and this one is missing, already used or expired.</p>${ASK_FOR_A_LINK}`);
      return;
    }
    reply.hijack();
    await installer.handleInstallPath(req.raw, reply.raw);
  });
  app.get('/slack/oauth_redirect', async (req, reply) => {
    reply.hijack();
    await installer.handleCallback(req.raw, reply.raw, {
      afterInstallation: async (installation, _opts, _req, res) => {
        const verdict = await belongsToOrganization(installation, options);
        if (verdict.ok) return true;
        const from = installation.enterprise?.id && installation.isEnterpriseInstall ? `Enterprise Grid organization ${installation.enterprise.id}` : `workspace ${installation.team?.id ?? '?'}`;
        app.log.warn({ team: installation.team?.id, enterprise: installation.enterprise?.id }, 'Slack install refused: another workspace');
        sendPage(
          res,
          403,
          'Slack was not connected: another workspace',
          `<p>Signalroom's organization integration belongs to ${escapeHtml(verdict.pinned)}; an install from ${escapeHtml(from)} (${escapeHtml(installation.team?.name ?? '')}) is refused and nothing was stored.</p>`,
        );
        return false;
      },
      success: (installation, _opts, _req, res) => {
        app.log.info({ team: installation.team?.id }, 'Slack installed');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><h1>Slack connected</h1><p>Signalroom is installed in workspace ${escapeHtml(installation.team?.name ?? installation.team?.id ?? '')}.</p>`);
      },
      failure: (error, _opts, _req, res) => {
        app.log.warn({ err: error.message }, 'Slack install failed');
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><h1>Slack was not connected</h1><p>${escapeHtml(error.message)}</p>${ASK_FOR_A_LINK}`);
      },
    });
  });
};

/**
 * `POST /api/v1/integrations/install-links`: an administrator's API token
 * (permission `integrations:install`) mints a one-time install link.
 */
export function installLinkApiRoutes(options: Pick<SlackOAuthOptions, 'installationStore' | 'publicUrl'>): FastifyPluginAsync {
  return async (plain) => {
    const api = plain.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/integrations/install-links',
      {
        config: { permission: 'integrations:install' },
        schema: {
          operationId: 'createInstallLink',
          summary: 'Mint a one-time "Connect Slack" link',
          description: 'The link starts the OAuth install of the organization integration once, within 15 minutes.',
          tags: ['integrations'],
          response: { 201: z.object({ url: z.string(), expiresAt: z.string().meta({ format: 'date-time' }) }), ...apiErrorResponses() },
        },
      },
      async (_req, reply) => {
        const link = await options.installationStore.createInstallLink(INSTALL_LINK_TTL_MS);
        return reply.code(201).send({ url: installLinkUrl(options.publicUrl, link.token), expiresAt: link.expiresAt.toISOString() });
      },
    );
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
