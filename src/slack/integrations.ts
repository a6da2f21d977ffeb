/**
 * The Slack integrations of a Signalroom installation: one organization-level
 * integration (a token from configuration or from an OAuth install) and any
 * number of project-scoped connectors. Workflows name an integration;
 * activities resolve it here, at run time, to a client holding the token.
 */
import { LogLevel, WebClient, type Logger, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import type { InstallationStore } from '@slack/oauth';
import type { BotSettingsSchema, ChannelPermissions, SignalroomConfig } from '../config/schema';
import { ownEntry } from '../config/own';
import type { z } from 'zod';
import { responseUrlBaseOf } from './response-url';
import type { OutboundPolicy } from '../net/outbound';
import { describeSlackCall, type SlackCallObserver } from './call-metrics';
import { SlackPacer, type LaneSpec } from './pacer';
import { loadSlackApiMetadata } from '../sandbox/metadata';
import { TIER_PER_MINUTE } from '../sandbox/rate-limit';

export const ORGANIZATION = 'organization';
export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

export type ChannelAction = keyof ChannelPermissions;

export interface Integration {
  /** `organization` or `connector:<name>`: what workflows carry. */
  name: string;
  kind: 'organization' | 'connector';
  client: WebClient;
  apiUrl: string;
  channels: ChannelPermissions;
  bot?: z.infer<typeof BotSettingsSchema>;
  channelNamePattern?: string;
}

/** One Slack app as the server sees its requests: its signing secret and what identifies it. */
export interface SlackApp {
  /** The integrations backed by this app (usually one). */
  integrations: string[];
  signingSecret: string;
  appId?: string;
  teamId?: string;
  enterpriseId?: string;
}

/** Integrations configured with the same signing secret are the same Slack app. */
export function groupBySecret(entries: Array<{ integration: string; signingSecret?: string; appId?: string; teamId?: string; enterpriseId?: string }>): SlackApp[] {
  const apps = new Map<string, SlackApp>();
  for (const e of entries) {
    if (!e.signingSecret) continue;
    const app = apps.get(e.signingSecret);
    if (app) {
      app.integrations.push(e.integration);
      app.appId ??= e.appId;
      app.teamId ??= e.teamId;
      app.enterpriseId ??= e.enterpriseId;
    } else apps.set(e.signingSecret, { integrations: [e.integration], signingSecret: e.signingSecret, appId: e.appId, teamId: e.teamId, enterpriseId: e.enterpriseId });
  }
  return [...apps.values()];
}

/** Where the organization app is installed: a workspace, an Enterprise Grid organization, or both. */
export interface OrganizationWorkspace {
  teamId?: string;
  enterpriseId?: string;
}

/**
 * Whether a request naming `teamId` (and `enterpriseId`) comes from the
 * organization: its own workspace, or any workspace of its enterprise.
 */
export function fromOrganization(home: OrganizationWorkspace, claim: { teamId?: string; enterpriseId?: string }): boolean {
  if (home.teamId && claim.teamId === home.teamId) return true;
  return Boolean(home.enterpriseId && claim.enterpriseId === home.enterpriseId);
}

export class IntegrationError extends Error {
  constructor(
    readonly code: 'unknown_integration' | 'not_configured' | 'project_not_allowed' | 'channel_not_permitted',
    message: string,
  ) {
    super(message);
  }
}

export interface IntegrationRegistryOptions {
  /** OAuth installations; the organization token comes from here when not configured. */
  installationStore?: InstallationStore;
  /** Client timeout per Slack call. @default 10s */
  timeoutMs?: number;
  /** Fallbacks for the organization integration (the environment, or the sandbox in dev). */
  organizationDefaults?: { botToken?: string; signingSecret?: string; apiUrl?: string };
  /** Told of every Web API call the integrations' clients make (the worker's usage metrics). */
  observeCalls?: SlackCallObserver;
  /** Paces the integrations' calls to Slack's rate limits (src/slack/pacer.ts); `false` for none. @default a pacer of its own */
  pacer?: SlackPacer | false;
}

const ALL: ChannelPermissions = { create: ['*'], post: ['*'], archive: ['*'] };

const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** Posts Slack takes in one channel: about one a second (after a short burst). */
const CHANNEL_POST_SPACING_MS = 1_000;
/** Calls of one lane in flight at once before Slack refused any: a burst past a limit costs at most this many 429s. */
const OPEN_IN_FLIGHT = { method: 8, channel: 4 };

/**
 * A little over a published spacing: calls are spaced where they leave, and
 * reach Slack a few milliseconds closer or further apart.
 */
const withMargin = (ms: number) => Math.ceil(ms * 1.01) + 5;

/**
 * The limits a call counts against, narrowest first: for chat.postMessage its
 * channel, and its method's tier for the integration (Slack's published tier,
 * a minute's calls). A 429 paces the narrowest (src/slack/pacer.ts): a flood
 * in one channel does not slow posts to the others.
 */
export function slackLanes(integration: string, method: string, options?: Record<string, unknown>): LaneSpec[] {
  const tier = loadSlackApiMetadata().methods.get(method)?.rateTier ?? 't3';
  const lanes: LaneSpec[] = [{ key: `${integration} ${method}`, spacingMs: withMargin(60_000 / TIER_PER_MINUTE[tier]), openInFlight: OPEN_IN_FLIGHT.method }];
  const channel = options?.channel;
  if (method === 'chat.postMessage' && typeof channel === 'string' && channel) {
    lanes.unshift({ key: `${integration} #${channel}`, spacingMs: withMargin(CHANNEL_POST_SPACING_MS), openInFlight: OPEN_IN_FLIGHT.channel });
  }
  return lanes;
}

/**
 * A WebClient that paces its calls to Slack's rate limits and tells an
 * observer how each call ended. Every Web API method of the client (and its
 * paginate) goes through apiCall, so this is the one place a Slack call is
 * seen whichever activity makes it. A call the pacer holds back never reaches
 * Slack, and is not counted as Slack's answer.
 */
class SignalroomWebClient extends WebClient {
  constructor(
    token: string | undefined,
    options: WebClientOptions,
    private readonly integration: string,
    private readonly observe: SlackCallObserver | undefined,
    private readonly pacer: SlackPacer | undefined,
  ) {
    super(token, options);
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    if (!this.pacer) return this.observed(method, options);
    return this.pacer.run(slackLanes(this.integration, method, options), () => this.observed(method, options));
  }

  private async observed(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    if (!this.observe) return super.apiCall(method, options);
    let result: WebAPICallResult;
    try {
      result = await super.apiCall(method, options);
    } catch (err) {
      this.observe(describeSlackCall(this.integration, method, err));
      throw err;
    }
    this.observe(describeSlackCall(this.integration, method));
    return result;
  }
}

/**
 * A Slack client that never retries on its own: Temporal owns retries. With
 * `observed`, every call it makes is reported under the integration's name;
 * with `pacer`, its calls are paced to Slack's rate limits.
 */
export function slackClient(token: string | undefined, apiUrl: string, timeoutMs = 10_000, observed?: { integration: string; observe: SlackCallObserver }, paced?: { integration: string; pacer: SlackPacer }): WebClient {
  const options: WebClientOptions = {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: quietLogger,
  };
  if (!observed && !paced) return new WebClient(token, options);
  return new SignalroomWebClient(token, options, observed?.integration ?? paced!.integration, observed?.observe, paced?.pacer);
}

/**
 * Which integration a runbook or approval of `project` uses, optionally
 * naming a connector, from the projects and the connectors' names alone (a
 * CLI that reads no secrets can tell it too). Refuses what the project does
 * not allow.
 */
export function integrationFor(routing: { projects: SignalroomConfig['projects']; connectors: readonly string[] }, project: string | undefined, connector?: string): string {
  const p = project ? ownEntry(routing.projects, project) : undefined;
  if (project && !p && Object.keys(routing.projects).length > 0) {
    throw new IntegrationError('project_not_allowed', `Unknown project "${project}": configured projects are ${Object.keys(routing.projects).join(', ')}`);
  }
  const allowed = new Set([...(p?.connectors ?? []), ...(p?.connector ? [p.connector] : [])]);
  if (connector) {
    if (!routing.connectors.includes(connector)) throw new IntegrationError('unknown_integration', `Unknown connector "${connector}"`);
    if (p && !allowed.has(connector)) {
      throw new IntegrationError('project_not_allowed', `Project "${project}" may not use connector "${connector}" (allowed: ${[...allowed].join(', ') || 'none'})`);
    }
    return `connector:${connector}`;
  }
  if (p?.connector) return `connector:${p.connector}`;
  const orgAllowed = p?.allowOrganization ?? true;
  if (!orgAllowed) throw new IntegrationError('project_not_allowed', `Project "${project}" has no connector and may not use the organization-level integration`);
  return ORGANIZATION;
}

export class IntegrationRegistry {
  private readonly cache = new Map<string, Integration>();
  /** One pacer for every integration of the process: Slack's limits are per app and channel, whichever activity calls. */
  readonly pacer: SlackPacer | undefined;

  constructor(
    private readonly config: SignalroomConfig,
    private readonly options: IntegrationRegistryOptions = {},
  ) {
    this.pacer = options.pacer === false ? undefined : (options.pacer ?? new SlackPacer());
  }

  /** Names of every configured integration. */
  names(): string[] {
    return [ORGANIZATION, ...Object.keys(this.config.slack.connectors).map((c) => `connector:${c}`)];
  }

  /** The URL of a configured incoming webhook. */
  webhookUrl(name: string): string {
    return this.webhook(name).url;
  }

  /** The integration whose Slack app owns a configured incoming webhook: clicks on its cards are that app's. */
  webhookOwner(name: string): string {
    return this.webhook(name).integration;
  }

  private webhook(name: string): { url: string; integration: string } {
    const entry = ownEntry(this.config.slack.webhooks, name);
    if (!entry) throw new IntegrationError('unknown_integration', `Unknown incoming webhook "${name}" (configured: ${Object.keys(this.config.slack.webhooks).join(', ') || 'none'})`);
    return typeof entry === 'string' ? { url: entry, integration: ORGANIZATION } : entry;
  }

  /** An approver group from configuration. */
  approverGroup(name: string) {
    return ownEntry(this.config.approverGroups, name);
  }

  /** Holds, freezes, exceptions and break-glass (`deploys` in configuration). */
  deploysPolicy() {
    return this.config.deploys;
  }

  /** Who may change incidents from Slack (`incidents` in configuration). */
  incidentPolicy() {
    return this.config.incidents;
  }

  /**
   * The Slack apps requests may come from, one entry per signing secret: the
   * integrations that share it, and the app and workspace ids that identify
   * it (from configuration). See src/server/slack-request.ts.
   */
  slackApps(): readonly SlackApp[] {
    // Asked on every Slack request; the configuration does not change while the registry lives, so it is read once
    // (and frozen, as every caller shares it).
    if (!this.apps) {
      const org = this.config.slack.organization;
      const entries: Array<{ integration: string; signingSecret?: string; appId?: string; teamId?: string; enterpriseId?: string }> = [
        { integration: ORGANIZATION, signingSecret: org?.signingSecret ?? this.options.organizationDefaults?.signingSecret, appId: org?.appId, teamId: org?.teamId, enterpriseId: org?.enterpriseId },
        ...Object.entries(this.config.slack.connectors).map(([name, c]) => ({ integration: `connector:${name}`, signingSecret: c.signingSecret, appId: c.appId, teamId: c.teamId, enterpriseId: c.enterpriseId })),
      ];
      this.apps = Object.freeze(groupBySecret(entries).map((app) => Object.freeze({ ...app, integrations: Object.freeze(app.integrations) as string[] })));
    }
    return this.apps;
  }

  private apps?: readonly SlackApp[];
  private bases?: readonly string[];
  private workspace?: Promise<OrganizationWorkspace>;

  /**
   * The Slack workspace (and Enterprise Grid organization) the organization
   * app belongs to: `teamId` / `enterpriseId` from configuration, else what
   * `auth.test` says of the organization's bot token, asked once. An app that
   * is installed elsewhere too gets requests signed with the same secret from
   * those workspaces; this is how the server tells them apart (SECURITY.md).
   * A failed lookup is not kept, so the next request asks again.
   */
  organizationWorkspace(): Promise<OrganizationWorkspace> {
    const org = this.config.slack.organization;
    if (org?.teamId || org?.enterpriseId) return Promise.resolve({ teamId: org.teamId, enterpriseId: org.enterpriseId });
    this.workspace ??= this.get(ORGANIZATION)
      .then((integration) => integration.client.auth.test())
      .then((auth) => {
        const teamId = typeof auth.team_id === 'string' && auth.team_id ? auth.team_id : undefined;
        const enterpriseId = typeof auth.enterprise_id === 'string' && auth.enterprise_id ? auth.enterprise_id : undefined;
        // An org-wide install answers for every workspace of its enterprise.
        const found: OrganizationWorkspace = auth.is_enterprise_install === true ? { enterpriseId: enterpriseId ?? teamId } : { teamId, enterpriseId };
        if (!found.teamId && !found.enterpriseId) throw new Error('auth.test named no workspace');
        return found;
      })
      .catch((err: unknown) => {
        this.workspace = undefined;
        throw err;
      });
    return this.workspace;
  }

  /** The signing secret of an integration's Slack app (sealing a click's response_url uses it). */
  signingSecretOf(integration: string): string | undefined {
    return this.slackApps().find((a) => a.integrations.includes(integration))?.signingSecret;
  }

  /** Where click replies may go besides Slack's own hosts: a self-hosted Slack API (the sandbox) configured here. */
  responseUrlBases(): readonly string[] {
    if (!this.bases) {
      const urls = [this.config.slack.organization?.apiUrl, this.options.organizationDefaults?.apiUrl, ...Object.values(this.config.slack.connectors).map((c) => c.apiUrl)];
      this.bases = Object.freeze([...new Set(urls.map((u) => (u ? responseUrlBaseOf(u) : undefined)).filter((b): b is string => Boolean(b)))]);
    }
    return this.bases;
  }

  /**
   * Where the outbound client (src/net/outbound.ts) may call: `outbound` of
   * the configuration, and the configured Slack's own origins (a self-hosted
   * Slack API such as the sandbox, which may be on loopback).
   */
  outboundPolicy(): OutboundPolicy {
    const urls = [this.config.slack.organization?.apiUrl, this.options.organizationDefaults?.apiUrl, ...Object.values(this.config.slack.connectors).map((c) => c.apiUrl)];
    const slackBases = [...new Set(urls.filter((u): u is string => Boolean(u)).map((u) => `${new URL(u).origin}/`))];
    return { allowHosts: this.config.outbound.allowHosts, privateHosts: this.config.outbound.privateHosts, slackBases };
  }


  /**
   * Which integration a runbook or approval of `project` uses, optionally
   * naming a connector. Refuses what the project does not allow.
   */
  resolveFor(project: string | undefined, connector?: string): string {
    return integrationFor({ projects: this.config.projects, connectors: Object.keys(this.config.slack.connectors) }, project, connector);
  }

  /** The integration behind a name, with its client (the token stays in this process). */
  async get(name: string): Promise<Integration> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const integration = await this.build(name);
    this.cache.set(name, integration);
    return integration;
  }

  private paced(integration: string): { integration: string; pacer: SlackPacer } | undefined {
    return this.pacer ? { integration, pacer: this.pacer } : undefined;
  }

  private observed(integration: string): { integration: string; observe: SlackCallObserver } | undefined {
    return this.options.observeCalls ? { integration, observe: this.options.observeCalls } : undefined;
  }

  private async build(name: string): Promise<Integration> {
    const timeout = this.options.timeoutMs;
    if (name === ORGANIZATION) {
      const org = this.config.slack.organization ?? {};
      const defaults = this.options.organizationDefaults ?? {};
      const apiUrl = org.apiUrl ?? defaults.apiUrl ?? DEFAULT_SLACK_API_URL;
      let token = org.botToken ?? defaults.botToken;
      if (!token && this.options.installationStore) {
        const installation = await this.options.installationStore
          .fetchInstallation(org.enterpriseId && !org.teamId ? { teamId: undefined, enterpriseId: org.enterpriseId, isEnterpriseInstall: true } : { teamId: org.teamId, enterpriseId: undefined, isEnterpriseInstall: false })
          .catch(() => undefined);
        token = installation?.bot?.token;
      }
      if (!token) {
        // "Connect Slack" exists only where OAuth is configured, and starts from a one-time link.
        const connect = org.clientId ? 'connect Slack through a one-time link from `signalroom install-link`, or set' : 'set';
        throw new IntegrationError('not_configured', `The organization-level Slack integration has no token: ${connect} SLACK_BOT_TOKEN / slack.organization.botToken`);
      }
      return { name, kind: 'organization', client: slackClient(token, apiUrl, timeout, this.observed(name), this.paced(name)), apiUrl, channels: ALL, channelNamePattern: org.channelNamePattern };
    }
    const connectorName = name.startsWith('connector:') ? name.slice('connector:'.length) : undefined;
    const connector = connectorName ? ownEntry(this.config.slack.connectors, connectorName) : undefined;
    if (!connector) throw new IntegrationError('unknown_integration', `Unknown Slack integration "${name}" (configured: ${this.names().join(', ')})`);
    // A connector talks to the same Slack as the organization unless it says otherwise (GovSlack, the sandbox).
    const apiUrl = connector.apiUrl ?? this.config.slack.organization?.apiUrl ?? this.options.organizationDefaults?.apiUrl ?? DEFAULT_SLACK_API_URL;
    return {
      name,
      kind: 'connector',
      client: slackClient(connector.botToken, apiUrl, timeout, this.observed(name), this.paced(name)),
      apiUrl,
      channels: connector.channels,
      bot: connector.bot,
      channelNamePattern: connector.channelNamePattern,
    };
  }
}
