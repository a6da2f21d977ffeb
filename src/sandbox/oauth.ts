/**
 * OAuth v2 as Slack runs it: an authorize page where a person of a sandbox
 * workspace allows the app (and, with `incoming-webhook`, picks a channel),
 * a redirect to the app's redirect_uri with a one-time code, and
 * `oauth.v2.access` exchanging that code for a bot token. `@slack/oauth`'s
 * InstallProvider runs against it unchanged.
 */
import type { FastifyInstance } from 'fastify';
import type { SandboxClock } from './clock';
import { randomHex } from './ids';
import { ApiError } from './api-error';
import { SANDBOX_APP_ID, type SandboxState } from './state';
import { issueToken } from './tokens';
import type { IncomingWebhooks } from './webhooks';
import { escapeHtml } from './html';

export const CODE_TTL_MS = 10 * 60_000;

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  appId: string;
  /** Allowed redirect URLs (prefix match, as Slack does); empty allows any. */
  redirectUris: string[];
}

interface Grant {
  clientId: string;
  redirectUri?: string;
  teamId: string;
  userId: string;
  scopes: string[];
  userScopes: string[];
  webhookChannelId?: string;
  issuedAt: number;
  used: boolean;
}

/** What `oauth.v2.access` was given: the client's credentials (arguments or basic auth), the code and the redirect_uri. */
export interface RedeemRequest {
  clientId?: string;
  clientSecret?: string;
  grantType?: string;
  code?: string;
  redirectUri?: string;
}

export class OAuthStore {
  readonly apps = new Map<string, OAuthApp>();
  private grants = new Map<string, Grant>();

  constructor(
    private readonly state: SandboxState,
    private readonly clock: SandboxClock,
    private readonly webhooks: IncomingWebhooks,
  ) {}

  registerApp(app: Partial<OAuthApp> = {}): OAuthApp {
    const full: OAuthApp = {
      clientId: app.clientId ?? `${Date.now()}.${Math.floor(Math.random() * 1e12)}`,
      clientSecret: app.clientSecret ?? randomHex(16),
      appId: app.appId ?? SANDBOX_APP_ID,
      redirectUris: app.redirectUris ?? [],
    };
    this.apps.set(full.clientId, full);
    return full;
  }

  redirectAllowed(app: OAuthApp, redirectUri: string | undefined): boolean {
    if (!redirectUri || app.redirectUris.length === 0) return true;
    return app.redirectUris.some((allowed) => redirectUri.startsWith(allowed));
  }

  grant(g: Omit<Grant, 'issuedAt' | 'used'>): string {
    const code = `${Date.now()}.${randomHex(20)}`;
    this.grants.set(code, { ...g, issuedAt: this.clock.now(), used: false });
    return code;
  }

  /** `oauth.v2.access`: the code for an installation, refused with Slack's error codes. */
  redeem(request: RedeemRequest): Record<string, unknown> {
    const { clientId, clientSecret, grantType, code, redirectUri } = request;
    if (grantType && grantType !== 'authorization_code') throw new ApiError('invalid_grant_type');
    const app = clientId ? this.apps.get(clientId) : undefined;
    if (!app) throw new ApiError('invalid_client_id');
    if (clientSecret !== app.clientSecret) throw new ApiError('bad_client_secret');
    const grant = code ? this.grants.get(code) : undefined;
    if (!grant || grant.used || grant.clientId !== clientId || this.clock.now() - grant.issuedAt > CODE_TTL_MS) throw new ApiError('invalid_code');
    if (grant.redirectUri && redirectUri !== grant.redirectUri) throw new ApiError('bad_redirect_uri');
    if (grant.scopes.length === 0 && grant.userScopes.length === 0) throw new ApiError('no_scopes');
    grant.used = true;

    const team = this.state.team(grant.teamId);
    const out: Record<string, unknown> = {
      app_id: app.appId,
      authed_user: { id: grant.userId },
      team: { id: team.id, name: team.name },
      enterprise: null,
      is_enterprise_install: false,
    };
    if (grant.scopes.length) {
      const bot = issueToken(this.state, { teamId: team.id, scopes: grant.scopes, type: 'bot' });
      Object.assign(out, { scope: grant.scopes.join(','), token_type: 'bot', access_token: bot.token, bot_user_id: team.botUserId });
    }
    if (grant.userScopes.length) {
      const user = issueToken(this.state, { teamId: team.id, scopes: grant.userScopes, type: 'user', userId: grant.userId });
      out.authed_user = { id: grant.userId, scope: grant.userScopes.join(','), access_token: user.token, token_type: 'user' };
    }
    if (grant.webhookChannelId) {
      const channel = this.state.channels.get(grant.webhookChannelId)!;
      const url = this.webhooks.create(channel.id);
      out.incoming_webhook = { channel: `#${channel.name}`, channel_id: channel.id, configuration_url: `${this.webhooks.baseUrl()}/services/${team.id}`, url };
    }
    return out;
  }

  reset(): void {
    this.grants.clear();
  }
}

const splitScopes = (s: unknown) => (typeof s === 'string' ? s.split(/[\s,]+/).filter(Boolean) : []);

/** GET /oauth/v2/authorize (the page) and POST /oauth/v2/authorize (Allow / Cancel). */
export function registerOAuthRoutes(app: FastifyInstance, store: OAuthStore, state: SandboxState): void {
  app.get('/oauth/v2/authorize', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const oauthApp = q.client_id ? store.apps.get(q.client_id) : undefined;
    reply.type('text/html; charset=utf-8');
    if (!oauthApp) return reply.code(400).send(page('Invalid client_id', `<p>No app has the client id <code>${escapeHtml(q.client_id ?? '')}</code>.</p>`));
    if (!store.redirectAllowed(oauthApp, q.redirect_uri)) return reply.code(400).send(page('Bad redirect_uri', `<p><code>${escapeHtml(q.redirect_uri ?? '')}</code> is not one of this app's redirect URLs.</p>`));
    const scopes = splitScopes(q.scope);
    const userScopes = splitScopes(q.user_scope);
    const teams = [...state.teams.values()].filter((t) => !q.team || t.id === q.team);
    const people = [...state.users.values()].filter((u) => !u.isBot && teams.some((t) => t.id === u.teamId));
    const channels = [...state.channels.values()].filter((c) => !c.isIm && !c.archived && teams.some((t) => t.id === c.teamId));
    const hidden = ['client_id', 'scope', 'user_scope', 'redirect_uri', 'state']
      .map((k) => (q[k] !== undefined ? `<input type="hidden" name="${k}" value="${escapeHtml(q[k]!)}">` : ''))
      .join('');
    const body = `
<p>The app <strong>${escapeHtml(oauthApp.appId)}</strong> asks to be installed with these permissions:</p>
<ul id="scopes">${scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}${userScopes.map((s) => `<li><code>${escapeHtml(s)}</code> (user)</li>`).join('')}</ul>
<form method="post" action="/oauth/v2/authorize">${hidden}
<label>Install as <select name="user">${people.map((u) => `<option value="${u.id}">${escapeHtml(u.realName)} (${escapeHtml(state.team(u.teamId).name)})</option>`).join('')}</select></label>
${scopes.includes('incoming-webhook') ? `<label>Post to <select name="webhook_channel">${channels.map((c) => `<option value="${c.id}">#${escapeHtml(c.name)}</option>`).join('')}</select></label>` : ''}
<p><button type="submit" name="decision" value="allow" id="allow">Allow</button> <button type="submit" name="decision" value="deny" id="deny">Cancel</button></p>
</form>`;
    return reply.send(page('Install app', body));
  });

  app.post('/oauth/v2/authorize', async (req, reply) => {
    const f = (req.body ?? {}) as Record<string, string | undefined>;
    const oauthApp = f.client_id ? store.apps.get(f.client_id) : undefined;
    if (!oauthApp || !store.redirectAllowed(oauthApp, f.redirect_uri)) return reply.code(400).type('text/html').send(page('Invalid request', '<p>Unknown client_id or redirect_uri.</p>'));
    const target = f.redirect_uri;
    if (!target) return reply.code(400).type('text/html').send(page('No redirect_uri', '<p>The app gave no redirect_uri.</p>'));
    const url = new URL(target);
    // Slack's order: code (or error) first, then state.
    const withState = () => {
      if (f.state !== undefined) url.searchParams.set('state', f.state);
      return url.toString();
    };
    if (f.decision !== 'allow') {
      url.searchParams.set('error', 'access_denied');
      return reply.redirect(withState(), 302);
    }
    const user = f.user ? state.users.get(f.user) : undefined;
    if (!user) return reply.code(400).type('text/html').send(page('Unknown user', '<p>Pick a person of the workspace.</p>'));
    const scopes = splitScopes(f.scope);
    const code = store.grant({
      clientId: oauthApp.clientId,
      redirectUri: f.redirect_uri,
      teamId: user.teamId,
      userId: user.id,
      scopes,
      userScopes: splitScopes(f.user_scope),
      webhookChannelId: scopes.includes('incoming-webhook') ? (f.webhook_channel ?? [...state.channels.values()].find((c) => c.teamId === user.teamId && !c.isIm)?.id) : undefined,
    });
    url.searchParams.set('code', code);
    return reply.redirect(withState(), 302);
  });
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)} · Slack sandbox</title><link rel="stylesheet" href="/sandbox.css"></head><body class="oauth"><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}
