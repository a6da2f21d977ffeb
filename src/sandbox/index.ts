/**
 * The Slack sandbox: a strict local Slack for tests, the demo and
 * development. Nothing here ever reaches slack.com.
 *
 * ```ts
 * const slack = await startSandbox();
 * const web = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
 * await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'hello' });
 * slack.messages('C0DEPLOYS'); // what was posted
 * await slack.close();
 * ```
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { SandboxClock } from './clock';
import { FaultInjector, type FaultSpec } from './faults';
import { randomHex } from './ids';
import { Interactivity, type ClickOptions, type ClickResult, type InteractionRecord, type SlashCommandOptions, type SlashCommandResult, type SubmitViewOptions, type SubmitViewResult } from './interactivity';
import { loadSlackApiMetadata, type SlackApiMetadata } from './metadata';
import type { SandboxServices } from './method-context';
import { OAuthStore, registerOAuthRoutes, type OAuthApp } from './oauth';
import { registerPage } from './page/routes';
import { registerUploadRoute } from './methods/files';
import { RateLimiter, type RateLimitOptions } from './rate-limit';
import { DEFAULT_TEAM_ID, DEMO_SEED, applySeed, seedInto, seedWorkspace, type ChannelSeed, type GroupSeed, type SeedSpec, type UserSeed, type WorkspaceSeed } from './seed';
import { SandboxState, type Canvas, type Channel, type SandboxFile, type Ephemeral, type Message, type ScheduledMessage, type Team, type User, type UserGroup, type View } from './state';
import { issueToken } from './tokens';
import { TriggerStore } from './triggers';
import { ViewStore } from './view-store';
import { registerWebApi, type CallRecord, type Violation } from './web-api';
import { IncomingWebhooks } from './webhooks';

export type { CallRecord, Violation } from './web-api';
export type { ClickOptions, ClickResult, InteractionRecord, SlashCommandOptions, SlashCommandResult, SubmitViewOptions, SubmitViewResult, AppResponse } from './interactivity';
export type { FaultKind, FaultSpec } from './faults';
export type { SeedSpec, EnterpriseSeed, WorkspaceSeed, UserSeed, GroupSeed, ChannelSeed } from './seed';
export type { Enterprise } from './state';
export type { Canvas, Channel, SandboxFile, Message, Ephemeral, ScheduledMessage, Team, User, UserGroup, TokenInfo, View } from './state';
export type { RateLimitOptions } from './rate-limit';
export type { OAuthApp } from './oauth';
export { signRequest } from './interactivity';
export { DEFAULT_TEAM_ID, DEMO_ENTERPRISE_ID, DEMO_SEED } from './seed';
export { markupIn, messageMarkup, type SlackMarkup } from './mentions';

/** The bot scopes Signalroom needs, plus what the other served methods need. */
export const SIGNALROOM_BOT_SCOPES = [
  'channels:manage',
  'channels:read',
  'channels:join',
  'channels:history',
  'chat:write',
  'chat:write.public',
  'groups:write',
  'groups:read',
  'groups:history',
  'im:write',
  'im:read',
  'im:history',
  'pins:write',
  'bookmarks:write',
  'files:write',
  'canvases:write',
  'reactions:write',
  'users:read',
  'users:read.email',
  'usergroups:read',
  'commands',
];

export interface SandboxOptions {
  /** Port to listen on. @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Slack's rate limits: on (as in Slack), off, or tuned. @default true */
  rateLimits?: boolean | RateLimitOptions;
  /** The app's signing secret. @default a random one */
  signingSecret?: string;
  /** The app's interactivity Request URL (settable later with setRequestUrl). */
  requestUrl?: string;
  /** The /signalroom slash command's Request URL (settable later with setSlashCommandUrl). */
  slashCommandUrl?: string;
  /** Workspaces to create. @default the demo workspace (DEMO_SEED) */
  seed?: SeedSpec;
  /** A fixed bot token for the default workspace (e.g. for a long-running demo). @default a random one */
  botToken?: string;
  /** The OAuth app's credentials. @default a random client id and secret */
  oauth?: Partial<OAuthApp>;
  /** How long a click or submit waits for the app. @default 3000 (Slack's deadline) */
  interactivityTimeoutMs?: number;
  /** How long every Web API and response_url answer takes, after the call is applied (also `setLatency`). @default 0 */
  latencyMs?: number;
}

export interface CreateTokenOptions {
  /** @default the default workspace */
  teamId?: string;
  scopes: string[];
  /** @default 'bot' */
  type?: 'bot' | 'user';
  /** For user tokens: the person (id or name). */
  userId?: string;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** `${url}/api/`: what `new WebClient(token, { slackApiUrl })` takes. */
  readonly apiUrl: string;
  /** The page showing channels and messages, where a person clicks buttons. */
  readonly pageUrl: string;
  readonly signingSecret: string;
  readonly defaultTeamId: string;
  /** A bot token of the default workspace with SIGNALROOM_BOT_SCOPES. */
  readonly botToken: string;
  /** The default workspace's bot user id (e.g. U0SIGNALRM). */
  readonly botUserId: string;
  /** The OAuth app (client id and secret) for `@slack/oauth`. */
  readonly oauthApp: OAuthApp;
  /** The interactivity Request URL currently configured. */
  readonly requestUrl: string | undefined;
  readonly metadata: SlackApiMetadata;

  /** Points interactivity (clicks, modal submits) at the app's Request URL. */
  setRequestUrl(url: string | undefined): void;
  /** Points the slash command at the app's command Request URL (e.g. `…/slack/commands`). */
  setSlashCommandUrl(url: string | undefined): void;
  /** How many times the app answered through a click's response_url (Slack allows 5 within 30 minutes). */
  responseUrlUses(url: string): number;
  /** How long every Web API answer takes from now on, after the call is applied: Slack is not on loopback. */
  setLatency(ms: number): void;
  createToken(options: CreateTokenOptions): string;
  /** Revokes a token: later calls get token_revoked (user) or account_inactive (bot). */
  revokeToken(token: string): void;
  addWorkspace(seed: WorkspaceSeed): Team;
  /** Adds users, groups and channels (to the default workspace unless `teamId`). */
  seed(spec: Pick<WorkspaceSeed, 'users' | 'groups' | 'channels'>, teamId?: string): void;
  seedUsers(users: UserSeed[], teamId?: string): User[];
  seedGroups(groups: GroupSeed[], teamId?: string): UserGroup[];
  seedChannels(channels: ChannelSeed[], teamId?: string): Channel[];

  workspaces(): Team[];
  user(idOrName: string, teamId?: string): User;
  group(handle: string, teamId?: string): UserGroup | undefined;
  channelByName(name: string, teamId?: string): Channel | undefined;
  channel(id: string): Channel | undefined;
  /**
   * What the app and people posted in a channel, in ts order, thread replies
   * included (deleted ones only with includeDeleted). Slack's own lines (joins,
   * purpose, topic, archive: `subtype` set), which history and the page show,
   * only with includeSystem.
   */
  messages(channelId: string, options?: { includeDeleted?: boolean; includeSystem?: boolean }): Message[];
  /** A message and nothing else, or undefined. */
  message(channelId: string, ts: string): Message | undefined;
  /** The replies in a thread, oldest first (not the parent). */
  replies(channelId: string, threadTs: string): Message[];
  /** A file uploaded through the external upload flow: its name, title, bytes and where it was shared. */
  file(id: string): SandboxFile | undefined;
  /** The canvases of a channel (conversations.canvases.create). */
  canvases(channelId: string): Canvas[];
  ephemerals(filter?: { channelId?: string; userId?: string }): Ephemeral[];
  scheduled(channelId?: string): ScheduledMessage[];
  /** Posts every scheduled message that is due (the sandbox also does it on its own). */
  deliverDueScheduled(): Message[];
  /**
   * Resolves once `probe` holds: checked now, then as each change the
   * sandbox records is made (a message posted, updated or deleted, a channel
   * created…), so a waiter learns of it at once, without polling. Rejects
   * after `timeoutMs`, naming `what`.
   */
  waitUntil(what: string, probe: () => boolean, timeoutMs?: number): Promise<void>;
  /** The Web API calls received, oldest first, optionally of one method. */
  calls(method?: string): CallRecord[];
  /** Errors the sandbox answered that Slack does not list for the method (always empty unless the sandbox has a bug). */
  violations(): Violation[];
  /** Every interaction sent to the app (clicks and submits), oldest first. */
  interactions(): InteractionRecord[];
  /** The modal a person has open, if any. */
  openView(userId: string): View | undefined;

  /** A person clicks a button; resolves once the app answered (or did not within the deadline). */
  click(options: ClickOptions): Promise<ClickResult>;
  /** A person submits the modal they have open. */
  submitView(options: SubmitViewOptions): Promise<SubmitViewResult>;
  /**
   * A person types `/signalroom <text>` in a channel: Slack's full, signed
   * command body reaches the slash command's Request URL; resolves with what
   * was sent and what the person was shown.
   */
  slashCommand(options: SlashCommandOptions): Promise<SlashCommandResult>;
  /** A person posts a message (as if typed in Slack). */
  postAsUser(options: { userId: string; channelId: string; text: string; threadTs?: string }): Message;
  /** A URL that posts into the channel as the app's bot, like Slack's incoming webhooks. */
  createIncomingWebhook(channelId: string): string;
  /** Runs Slack's authorize page for `authorizeUrl` as `userId`: returns the redirect (with code and state). */
  authorize(authorizeUrl: string, options?: { userId?: string; webhookChannelId?: string; deny?: boolean }): Promise<string>;

  /**
   * Runs `action` once, just before the next call of `method` is applied:
   * what a person does in Slack at that very moment (joins the channel the
   * app is inviting them to, say), for tests of races Slack allows.
   */
  beforeCall(method: string, action: () => unknown): void;

  readonly faults: {
    /** Fails the next `count` calls of `method` (e.g. `chat.postMessage`). */
    inject(method: string, fault: FaultSpec): void;
    clear(method?: string): void;
    armed(): Record<string, number>;
  };
  /** Moves the sandbox clock (trigger ids, response URLs, rate-limit windows, scheduled messages). */
  advanceClock(ms: number): void;
  setRateLimits(on: boolean): void;
  /** Back to the seed: workspaces, messages, tokens (the bot token stays valid), calls, faults, limits. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = new SlackSandbox(options);
  await sandbox.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return sandbox;
}

class SlackSandbox implements Sandbox {
  readonly metadata = loadSlackApiMetadata();
  readonly signingSecret: string;
  readonly oauthApp: OAuthApp;
  readonly faults;
  url = '';
  private clock = new SandboxClock();
  private state = new SandboxState(this.clock);
  private rateLimiter: RateLimiter;
  private faultInjector = new FaultInjector();
  private triggers = new TriggerStore(this.clock);
  private views = new ViewStore(this.state);
  private webhooks: IncomingWebhooks;
  private oauth: OAuthStore;
  private interactivity: Interactivity;
  private callLog: CallRecord[] = [];
  private violationLog: Violation[] = [];
  private hanging = new Set<FastifyRequest>();
  private app: FastifyInstance;
  private scheduler?: NodeJS.Timeout;
  private fixedBotToken: string;
  private seedSpec: SeedSpec;
  private latencyMs: number;
  private beforeCalls = new Map<string, Array<() => unknown>>();

  constructor(private readonly options: SandboxOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.signingSecret = options.signingSecret ?? randomHex(16);
    const rl = options.rateLimits ?? true;
    this.rateLimiter = new RateLimiter(rl !== false, typeof rl === 'object' ? rl : {});
    this.webhooks = new IncomingWebhooks(this.state, () => this.url);
    this.oauth = new OAuthStore(this.state, this.clock, this.webhooks);
    this.oauthApp = this.oauth.registerApp(options.oauth);
    this.interactivity = new Interactivity(this.state, this.clock, this.triggers, this.views, () => this.signingSecret, () => this.url, options.interactivityTimeoutMs, () => this.latencyMs);
    this.interactivity.requestUrl = options.requestUrl;
    this.interactivity.commandUrl = options.slashCommandUrl;
    this.seedSpec = options.seed ?? DEMO_SEED;
    this.fixedBotToken = options.botToken ?? '';
    this.applySeed();
    const injector = this.faultInjector;
    this.faults = {
      inject: (method: string, fault: FaultSpec) => {
        if (!this.metadata.methods.has(method)) throw new Error(`unknown Web API method ${method}`);
        injector.inject(method, fault);
      },
      clear: (method?: string) => injector.clear(method),
      armed: () => injector.armed(),
    };

    const services: SandboxServices = { state: this.state, clock: this.clock, rateLimiter: this.rateLimiter, triggers: this.triggers, oauth: this.oauth, views: this.views, baseUrl: () => this.url };
    this.app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 5 * 1024 * 1024 });
    this.app.register(formbody);
    registerWebApi(this.app, { services, metadata: this.metadata, faults: this.faultInjector, calls: this.callLog, violations: this.violationLog, hanging: this.hanging, latencyMs: () => this.latencyMs, beforeCall: (method) => this.runBeforeCall(method) });
    registerOAuthRoutes(this.app, this.oauth, this.state);
    registerUploadRoute(this.app, this.state);
    this.webhooks.register(this.app);
    this.interactivity.register(this.app);
    registerPage(this.app, { state: this.state, interactivity: this.interactivity, views: this.views, sandbox: this });
  }

  get apiUrl() {
    return `${this.url}/api/`;
  }
  get pageUrl() {
    return `${this.url}/`;
  }
  get defaultTeamId() {
    return this.seedSpec.workspaces[0]?.id ?? [...this.state.teams.keys()][0] ?? DEFAULT_TEAM_ID;
  }
  get botToken() {
    return this.fixedBotToken;
  }
  get botUserId() {
    return this.state.team(this.defaultTeamId).botUserId;
  }
  get requestUrl() {
    return this.interactivity.requestUrl;
  }

  async listen(port: number, host: string): Promise<void> {
    await this.app.listen({ port, host });
    const addr = this.app.server.address();
    if (!addr || typeof addr === 'string') throw new Error('the sandbox did not get a TCP port');
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
    this.scheduler = setInterval(() => this.deliverDueScheduled(), 250);
    this.scheduler.unref();
  }

  private applySeed(): void {
    applySeed(this.state, this.seedSpec);
    const teamId = this.defaultTeamId;
    const info = issueToken(this.state, { teamId, scopes: SIGNALROOM_BOT_SCOPES, type: 'bot', token: this.fixedBotToken || undefined });
    this.fixedBotToken = info.token;
  }

  setRequestUrl(url: string | undefined): void {
    this.interactivity.requestUrl = url;
  }

  setSlashCommandUrl(url: string | undefined): void {
    this.interactivity.commandUrl = url;
  }

  responseUrlUses(url: string): number {
    return this.interactivity.responseUrlUses(url);
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  beforeCall(method: string, action: () => unknown): void {
    if (!this.metadata.methods.has(method)) throw new Error(`unknown Web API method ${method}`);
    this.beforeCalls.set(method, [...(this.beforeCalls.get(method) ?? []), action]);
  }

  private async runBeforeCall(method: string): Promise<void> {
    const action = this.beforeCalls.get(method)?.shift();
    if (action) await action();
  }

  createToken(o: CreateTokenOptions): string {
    return issueToken(this.state, { teamId: o.teamId ?? this.defaultTeamId, scopes: o.scopes, type: o.type, userId: o.userId }).token;
  }

  revokeToken(token: string): void {
    const info = this.state.tokens.get(token);
    if (!info) throw new Error('unknown token');
    info.revoked = true;
  }

  addWorkspace(seed: WorkspaceSeed): Team {
    return seedWorkspace(this.state, seed);
  }

  seed(spec: Pick<WorkspaceSeed, 'users' | 'groups' | 'channels'>, teamId = this.defaultTeamId): void {
    seedInto(this.state, this.state.team(teamId), spec);
  }

  seedUsers(users: UserSeed[], teamId = this.defaultTeamId): User[] {
    return users.map((u) => this.state.addUser(teamId, u));
  }

  seedGroups(groups: GroupSeed[], teamId = this.defaultTeamId): UserGroup[] {
    return groups.map((g) => this.state.addGroup(teamId, g));
  }

  seedChannels(channels: ChannelSeed[], teamId = this.defaultTeamId): Channel[] {
    const team = this.state.team(teamId);
    return channels.map((c) => this.state.addChannel(teamId, { ...c, members: (c.members ?? []).map((m) => (m === 'bot' ? team.botUserId : m)) }));
  }

  workspaces(): Team[] {
    return [...this.state.teams.values()];
  }

  user(idOrName: string, teamId = this.defaultTeamId): User {
    return this.state.users.get(this.state.resolveUserId(teamId, idOrName))!;
  }

  group(handle: string, teamId = this.defaultTeamId): UserGroup | undefined {
    return [...this.state.groups.values()].find((g) => g.teamId === teamId && g.handle === handle.replace(/^@/, ''));
  }

  channelByName(name: string, teamId = this.defaultTeamId): Channel | undefined {
    return this.state.channelByName(name, teamId);
  }

  channel(id: string): Channel | undefined {
    return this.state.channels.get(id);
  }

  messages(channelId: string, o: { includeDeleted?: boolean; includeSystem?: boolean } = {}): Message[] {
    const c = this.requireChannel(channelId);
    return c.messages.filter((m) => (o.includeDeleted || !m.deleted) && (o.includeSystem || !m.subtype));
  }

  /** A file uploaded through the external upload flow: its name, title, bytes and where it was shared. */
  file(id: string): SandboxFile | undefined {
    return this.state.files.get(id);
  }

  /** The canvases of a channel (conversations.canvases.create). */
  canvases(channelId: string): Canvas[] {
    return [...this.state.canvases.values()].filter((c) => c.channelId === channelId);
  }

  message(channelId: string, ts: string): Message | undefined {
    return this.state.findMessage(this.requireChannel(channelId), ts);
  }

  replies(channelId: string, threadTs: string): Message[] {
    return this.state.replies(this.requireChannel(channelId), threadTs);
  }

  ephemerals(filter: { channelId?: string; userId?: string } = {}): Ephemeral[] {
    return this.state.ephemerals.filter((e) => (!filter.channelId || e.channel === filter.channelId) && (!filter.userId || e.user === filter.userId));
  }

  scheduled(channelId?: string): ScheduledMessage[] {
    return this.state.scheduled.filter((s) => !channelId || s.channel === channelId);
  }

  deliverDueScheduled(): Message[] {
    const now = this.state.nowSeconds();
    const posted: Message[] = [];
    for (const s of this.state.scheduled) {
      if (s.postedTs || s.postAt > now) continue;
      const channel = this.state.channels.get(s.channel);
      if (!channel || channel.archived) continue;
      const m = this.state.addMessage(channel, { user: s.user, botId: s.botId, appId: s.appId, text: s.text, blocks: s.blocks, metadata: s.metadata, threadTs: s.threadTs, via: 'scheduled' });
      s.postedTs = m.ts;
      posted.push(m);
    }
    return posted;
  }

  waitUntil(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
    if (probe()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onChange = () => {
        let held: boolean;
        try {
          held = probe();
        } catch (err) {
          done();
          return reject(err);
        }
        if (held) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`the sandbox timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.state.off('change', onChange);
      };
      this.state.on('change', onChange);
    });
  }

  calls(method?: string): CallRecord[] {
    return this.callLog.filter((c) => !method || c.method === method);
  }

  violations(): Violation[] {
    return [...this.violationLog];
  }

  interactions(): InteractionRecord[] {
    return [...this.interactivity.records];
  }

  openView(userId: string): View | undefined {
    return this.views.topModal(userId);
  }

  click(o: ClickOptions): Promise<ClickResult> {
    return this.interactivity.click(o);
  }

  submitView(o: SubmitViewOptions): Promise<SubmitViewResult> {
    return this.interactivity.submitView(o);
  }

  slashCommand(o: SlashCommandOptions): Promise<SlashCommandResult> {
    return this.interactivity.slashCommand(o);
  }

  postAsUser(o: { userId: string; channelId: string; text: string; threadTs?: string }): Message {
    const channel = this.requireChannel(o.channelId);
    const user = this.state.users.get(o.userId);
    if (!user || user.teamId !== channel.teamId) throw new Error(`no person ${o.userId} in ${channel.teamId}`);
    if (channel.archived) throw new Error(`#${channel.name} is archived`);
    if (!channel.members.has(user.id)) {
      if (channel.isPrivate) throw new Error(`${user.name} is not in ${channel.name}`);
      // Posting in a public channel joins it first, and Slack says so in the channel.
      channel.members.add(user.id);
      this.state.addSystemMessage(channel, 'channel_join', user.id);
    }
    return this.state.addMessage(channel, { user: user.id, text: o.text, threadTs: o.threadTs, via: 'page' });
  }

  createIncomingWebhook(channelId: string): string {
    return this.webhooks.create(channelId);
  }

  async authorize(authorizeUrl: string, o: { userId?: string; webhookChannelId?: string; deny?: boolean } = {}): Promise<string> {
    const u = new URL(authorizeUrl);
    const form = new URLSearchParams();
    for (const k of ['client_id', 'scope', 'user_scope', 'redirect_uri', 'state']) {
      const v = u.searchParams.get(k);
      if (v !== null) form.set(k, v);
    }
    form.set('user', o.userId ?? this.user('alice').id);
    if (o.webhookChannelId) form.set('webhook_channel', o.webhookChannelId);
    form.set('decision', o.deny ? 'deny' : 'allow');
    const res = await fetch(`${this.url}/oauth/v2/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) throw new Error(`authorize refused (${res.status}): ${await res.text()}`);
    return location;
  }

  advanceClock(ms: number): void {
    this.clock.advance(ms);
  }

  setRateLimits(on: boolean): void {
    this.rateLimiter.enabled = on;
  }

  reset(): void {
    this.state.reset();
    this.views.reset();
    this.callLog.length = 0;
    this.violationLog.length = 0;
    this.faultInjector.clear();
    this.beforeCalls.clear();
    this.rateLimiter.reset();
    this.triggers.reset();
    this.oauth.reset();
    this.webhooks.reset();
    this.interactivity.reset();
    const rl = this.options.rateLimits ?? true;
    this.rateLimiter.enabled = rl !== false;
    this.applySeed();
    this.state.changed();
  }

  async close(): Promise<void> {
    if (this.scheduler) clearInterval(this.scheduler);
    for (const req of this.hanging) req.raw.socket?.destroy();
    this.hanging.clear();
    await this.app.close();
  }

  private requireChannel(id: string): Channel {
    const c = this.state.channels.get(id);
    if (!c) throw new Error(`no channel ${id}`);
    return c;
  }
}
