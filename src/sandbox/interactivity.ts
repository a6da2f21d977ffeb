/**
 * Interactivity as Slack does it: a click on a message button becomes a
 * signed `block_actions` payload POSTed (form-encoded, `payload=`) to the
 * app's Request URL; a modal's submit becomes a signed `view_submission`.
 * The app's HTTP status and timing are recorded. Each interaction carries a
 * `response_url` (5 uses within 30 minutes) and a `trigger_id` (once, 3 s).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './api-error';
import { normalizeBlocks, parseBlocks, validateBlocks } from './block-kit';
import type { SandboxClock } from './clock';
import { randomHex } from './ids';
import { messageJson, viewJson } from './serialize';
import { SANDBOX_APP_ID, type Ephemeral, type Message, type SandboxState, type View } from './state';
import type { TriggerStore } from './triggers';
import type { ViewStore } from './view-store';

export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** How the app answered an interaction. */
export interface AppResponse {
  /** The app's HTTP status; undefined when it did not answer (error says why). */
  status?: number;
  /** Milliseconds from sending the request to the app's answer. */
  durationMs: number;
  /** When the request was sent: `performance.now()` in the sandbox's process (a bench times what follows from here). */
  sentAtMs?: number;
  /** False when the app answered later than Slack's 3 seconds, or not at all. */
  withinDeadline: boolean;
  body: string;
  error?: 'no_request_url' | 'timeout' | 'connection_failed';
}

export interface InteractionRecord {
  type: 'block_actions' | 'view_submission' | 'slash_command';
  teamId: string;
  userId: string;
  requestUrl?: string;
  payload: Record<string, unknown>;
  /** The signature headers sent. */
  headers: Record<string, string>;
  response: AppResponse;
}

export interface ClickOptions {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  /** Picks among buttons sharing an action_id; for selects, the option value chosen. */
  value?: string;
  blockId?: string;
  /**
   * The message as this person's Slack client still shows it: an older
   * version, say from before an update reached their phone. Slack delivers a
   * click on any button the person can see, so a late click on a card that
   * has since lost its buttons is possible, and the app must handle it.
   */
  seen?: Pick<Message, 'blocks'>;
}

export interface ClickResult extends InteractionRecord {
  triggerId: string;
  responseUrl: string;
}

export interface SubmitViewOptions {
  userId: string;
  /** @default the person's top open modal */
  viewId?: string;
  /** Input values keyed by block_id or action_id (strings; arrays for multi-selects). */
  values?: Record<string, string | string[]>;
}

export interface SubmitViewResult {
  /** False when the modal itself refused (a required input left empty): nothing was sent. */
  sent: boolean;
  missing?: string[];
  record?: InteractionRecord;
  /** What the app asked for: close (empty 200), errors, update, push or clear. */
  responseAction?: 'close' | 'errors' | 'update' | 'push' | 'clear';
  errors?: Record<string, string>;
  /**
   * Slack refused the view the app answered with (update or push): the modal
   * stays as it was and the person sees Slack's connection error. The error
   * and messages are what views.update would have answered.
   */
  refused?: { error: string; messages: string[] };
  /** The view now open for the person, if any. */
  openView?: View;
}

export interface SlashCommandOptions {
  userId: string;
  channelId: string;
  /** What follows the command, e.g. `approvals`. */
  text: string;
  /** @default '/signalroom' */
  command?: string;
}

export interface SlashCommandResult extends InteractionRecord {
  /** The form fields sent, as Slack sends them. */
  fields: Record<string, string>;
  triggerId: string;
  responseUrl: string;
  /** What the app answered in its HTTP response, as the person sees it (ephemeral unless in_channel); undefined for an empty answer. */
  reply?: { responseType: 'ephemeral' | 'in_channel'; text: string; blocks?: unknown[] };
}

interface ResponseUrl {
  teamId: string;
  channelId: string;
  userId: string;
  messageTs?: string;
  ephemeralTs?: string;
  threadTs?: string;
  uses: number;
  issuedAt: number;
}

/** Slack's v0 request signature: `v0=` + HMAC-SHA256(secret, `v0:{timestamp}:{body}`). */
export function signRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

type Element = Record<string, unknown> & { type?: string; action_id?: string; value?: string };

export class Interactivity {
  requestUrl?: string;
  /** The slash command's Request URL (Slack keeps one per command; the sandbox's app has one command). */
  commandUrl?: string;
  readonly records: InteractionRecord[] = [];
  private responseUrls = new Map<string, ResponseUrl>();

  constructor(
    private readonly state: SandboxState,
    private readonly clock: SandboxClock,
    private readonly triggers: TriggerStore,
    private readonly views: ViewStore,
    readonly signingSecret: () => string,
    private readonly baseUrl: () => string,
    private readonly timeoutMs = 3_000,
    /** The sandbox's answer delay (`latencyMs`): a response_url answers as late as the Web API does. */
    private readonly latencyMs: () => number = () => 0,
  ) {}

  /** A person clicks a button (or picks an option) on a message or an ephemeral message. */
  async click(o: ClickOptions): Promise<ClickResult> {
    const user = this.person(o.userId);
    const channel = this.state.channels.get(o.channelId);
    // Enterprise Grid: a channel shared with the person's workspace is theirs to click in too.
    if (!channel || !this.state.sharedWith(channel, user.teamId)) throw new Error(`no channel ${o.channelId} in ${user.teamId}`);
    if (channel.isPrivate && !channel.members.has(user.id)) throw new Error(`${user.name} cannot see ${channel.id}`);
    const message: Message | undefined = this.state.findMessage(channel, o.messageTs);
    const ephemeral: Ephemeral | undefined = message ? undefined : this.state.ephemerals.find((e) => e.channel === channel.id && e.ts === o.messageTs && e.user === user.id);
    if (!message && !ephemeral) throw new Error(`no message ${o.messageTs} in ${channel.id} visible to ${user.id}`);
    const found = findAction((o.seen ?? message ?? ephemeral)!.blocks ?? [], o);
    if (!found) throw new Error(`no element with action_id ${o.actionId}${o.value ? ` and value ${o.value}` : ''} on message ${o.messageTs}`);

    // The workspace clicked in is the channel's; the person's own (user.team_id) may be another of the organization.
    const team = this.state.team(channel.teamId);
    const triggerId = this.triggers.issue(team.id, user.id);
    const threadTs = message?.threadTs ?? ephemeral?.threadTs;
    const responseUrl = this.issueResponseUrl({ teamId: team.id, channelId: channel.id, userId: user.id, messageTs: message?.ts, ephemeralTs: ephemeral?.ts, threadTs });
    const actionTs = this.clock.nextTs();
    const el = found.element;
    const action: Record<string, unknown> = { action_id: el.action_id, block_id: found.blockId, type: el.type, action_ts: actionTs };
    if (el.type === 'button') Object.assign(action, { text: el.text, value: el.value, ...(el.style ? { style: el.style } : {}) });
    else if (el.type === 'static_select' || el.type === 'overflow' || el.type === 'radio_buttons') {
      const options = (el.options as Array<{ value: string }> | undefined) ?? [];
      action.selected_option = options.find((x) => x.value === o.value) ?? options[0];
    }
    const container: Record<string, unknown> = { type: 'message', message_ts: o.messageTs, channel_id: channel.id, is_ephemeral: Boolean(ephemeral) };
    if (threadTs) container.thread_ts = threadTs;
    const payload: Record<string, unknown> = {
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: user.teamId },
      api_app_id: SANDBOX_APP_ID,
      token: 'sandbox-verification-token',
      container,
      trigger_id: triggerId,
      team: { id: team.id, domain: team.domain },
      ...this.enterpriseFields(team.id),
      channel: { id: channel.id, name: channel.isIm ? 'directmessage' : channel.name },
      state: { values: {} },
      response_url: responseUrl,
      actions: [action],
    };
    if (message) payload.message = messageJson(this.state, channel, message);
    const record = await this.deliver('block_actions', team.id, user.id, payload);
    return { ...record, triggerId, responseUrl };
  }

  /**
   * A person types `/command text` in a channel: Slack's documented form body,
   * signed, POSTed to the command's Request URL. The app's answer (JSON or
   * plain text) is shown as Slack shows it: to the person only, or in the
   * channel with `response_type: in_channel`.
   */
  async slashCommand(o: SlashCommandOptions): Promise<SlashCommandResult> {
    const user = this.person(o.userId);
    const channel = this.state.channels.get(o.channelId);
    if (!channel || !this.state.sharedWith(channel, user.teamId)) throw new Error(`no channel ${o.channelId} in ${user.teamId}`);
    if (channel.isPrivate && !channel.members.has(user.id)) throw new Error(`${user.name} cannot see ${channel.id}`);
    const team = this.state.team(channel.teamId);
    const enterprise = this.state.enterpriseOf(team.id);
    const triggerId = this.triggers.issue(team.id, user.id);
    const responseUrl = this.issueResponseUrl({ teamId: team.id, channelId: channel.id, userId: user.id });
    const fields: Record<string, string> = {
      token: 'sandbox-verification-token',
      team_id: team.id,
      team_domain: team.domain,
      ...(enterprise ? { enterprise_id: enterprise.id, enterprise_name: enterprise.name } : {}),
      channel_id: channel.id,
      channel_name: channel.isIm ? 'directmessage' : channel.name,
      user_id: user.id,
      user_name: user.name,
      command: o.command ?? '/signalroom',
      text: o.text,
      api_app_id: SANDBOX_APP_ID,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    };
    const record = await this.deliver('slash_command', team.id, user.id, fields, this.commandUrl, new URLSearchParams(fields).toString());
    const result: SlashCommandResult = { ...record, fields, triggerId, responseUrl };
    if (record.response.status === 200 && record.response.body.trim()) {
      let answer: Record<string, unknown>;
      try {
        answer = JSON.parse(record.response.body) as Record<string, unknown>;
      } catch {
        answer = { text: record.response.body };
      }
      const parsed = parseBlocks(answer.blocks);
      const blocks = parsed.blocks && !parsed.problem && !validateBlocks(parsed.blocks) ? normalizeBlocks(parsed.blocks) : undefined;
      const text = typeof answer.text === 'string' ? answer.text : '';
      const responseType = answer.response_type === 'in_channel' ? 'in_channel' : 'ephemeral';
      result.reply = { responseType, text, ...(blocks ? { blocks } : {}) };
      if (responseType === 'in_channel') this.state.addMessage(channel, { user: team.botUserId, botId: team.botId, appId: SANDBOX_APP_ID, text, blocks, via: 'response_url' });
      else this.state.addEphemeral({ channel: channel.id, teamId: team.id, user: user.id, from: team.botUserId, botId: team.botId, text, blocks, via: 'response_url' });
    }
    return result;
  }

  /** A person submits the modal they have open. */
  async submitView(o: SubmitViewOptions): Promise<SubmitViewResult> {
    const user = this.person(o.userId);
    const view = o.viewId ? this.views.get(o.viewId) : this.views.topModal(user.id);
    if (!view || !view.open || view.userId !== user.id) throw new Error(`${user.id} has no open modal${o.viewId ? ` ${o.viewId}` : ''}`);
    const { values, missing } = stateValues(view.blocks, o.values ?? {});
    if (missing.length) return { sent: false, missing, openView: view };
    // The workspace the modal was opened in (the app's token's); the person's own may be another of the organization.
    const team = this.state.team(view.teamId);
    const payload: Record<string, unknown> = {
      type: 'view_submission',
      team: { id: team.id, domain: team.domain },
      user: { id: user.id, username: user.name, name: user.name, team_id: user.teamId },
      api_app_id: SANDBOX_APP_ID,
      token: 'sandbox-verification-token',
      trigger_id: this.triggers.issue(team.id, user.id),
      view: { ...viewJson(view), state: { values } },
      response_urls: [],
      ...this.enterpriseFields(team.id),
    };
    const record = await this.deliver('view_submission', team.id, user.id, payload);
    const result: SubmitViewResult = { sent: true, record };
    if (record.response.status !== 200) {
      result.openView = view;
      return result;
    }
    let answer: Record<string, unknown> = {};
    try {
      answer = record.response.body.trim() ? JSON.parse(record.response.body) : {};
    } catch {
      answer = {};
    }
    const action = answer.response_action as SubmitViewResult['responseAction'] | undefined;
    if (action === 'errors') {
      result.responseAction = 'errors';
      result.errors = (answer.errors as Record<string, string>) ?? {};
      result.openView = view;
    } else if (action === 'update' || action === 'push') {
      result.responseAction = action;
      try {
        result.openView = action === 'update' ? this.views.update(view, answer.view) : this.views.push(view, answer.view);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        result.refused = { error: err.code, messages: err.messages };
        result.openView = view;
      }
    } else if (action === 'clear') {
      this.views.clear(user.id);
      result.responseAction = 'clear';
    } else {
      result.responseAction = 'close';
      result.openView = this.views.closeTop(view);
    }
    return result;
  }

  register(app: FastifyInstance): void {
    app.post('/actions/:team/:id/:secret', async (req, reply) => {
      const { status, error } = this.answerResponseUrl(req.url.split('?')[0]!, (req.body ?? {}) as Record<string, unknown>);
      // Applied already, answered later: as on the Web API, a client that gives up meanwhile is the lost-response case.
      const latency = this.latencyMs();
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      return reply.code(status).send(error ? { ok: false, error } : { ok: true });
    });
  }

  /** A POST to a response_url, applied: the HTTP status and Slack's error, if any. */
  private answerResponseUrl(pathname: string, raw: Record<string, unknown>): { status: number; error?: string } {
    const entry = this.responseUrls.get(pathname);
    if (!entry) return { status: 404, error: 'no_service' };
    if (this.clock.now() - entry.issuedAt > RESPONSE_URL_TTL_MS) return { status: 404, error: 'expired_url' };
    if (entry.uses >= RESPONSE_URL_MAX_USES) return { status: 404, error: 'used_url' };
    let body = raw;
    if (typeof body.payload === 'string') {
      try {
        body = JSON.parse(body.payload);
      } catch {
        return { status: 400, error: 'invalid_payload' };
      }
    }
    const outcome = this.respond(entry, body);
    if (outcome) return { status: outcome === 'invalid_blocks' || outcome === 'no_text' ? 400 : 404, error: outcome };
    entry.uses++;
    return { status: 200 };
  }

  /** How many times the app has answered through this response_url (Slack allows 5). */
  responseUrlUses(url: string): number {
    return this.responseUrls.get(new URL(url).pathname)?.uses ?? 0;
  }

  reset(): void {
    this.records.length = 0;
    this.responseUrls.clear();
  }

  private respond(entry: ResponseUrl, body: Record<string, unknown>): string | undefined {
    const channel = this.state.channels.get(entry.channelId);
    if (!channel) return 'channel_not_found';
    const team = this.state.team(entry.teamId);
    const parsed = parseBlocks(body.blocks);
    if (parsed.problem || (parsed.blocks && validateBlocks(parsed.blocks))) return 'invalid_blocks';
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = parsed.blocks ? normalizeBlocks(parsed.blocks) : undefined;
    if (body.delete_original === true || body.delete_original === 'true') {
      if (entry.ephemeralTs) {
        const i = this.state.ephemerals.findIndex((e) => e.ts === entry.ephemeralTs);
        if (i >= 0) this.state.ephemerals.splice(i, 1);
      } else {
        const m = entry.messageTs ? this.state.findMessage(channel, entry.messageTs) : undefined;
        if (!m) return 'message_not_found';
        m.deleted = true;
      }
      this.state.changed();
      return undefined;
    }
    if (!text && !blocks?.length) return 'no_text';
    if (body.replace_original === true || body.replace_original === 'true') {
      if (entry.ephemeralTs) {
        const e = this.state.ephemerals.find((x) => x.ts === entry.ephemeralTs);
        if (e) Object.assign(e, { text, blocks });
      } else {
        const m = entry.messageTs ? this.state.findMessage(channel, entry.messageTs) : undefined;
        if (!m) return 'message_not_found';
        m.edits.push({ text: m.text, blocks: m.blocks, editedTs: m.edited?.ts ?? m.ts, user: m.edited?.user ?? m.user });
        m.text = text;
        m.blocks = blocks;
        m.edited = { user: team.botUserId, ts: this.clock.nextTs() };
      }
      this.state.changed();
      return undefined;
    }
    const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : entry.threadTs;
    if (body.response_type === 'in_channel') {
      this.state.addMessage(channel, { user: team.botUserId, botId: team.botId, appId: SANDBOX_APP_ID, text, blocks, threadTs, via: 'response_url' });
    } else {
      this.state.addEphemeral({ channel: channel.id, teamId: team.id, user: entry.userId, from: team.botUserId, botId: team.botId, text, blocks, threadTs, via: 'response_url' });
    }
    return undefined;
  }

  /**
   * Slack's `enterprise` and `is_enterprise_install`: the organization of the
   * workspace, or null outside Enterprise Grid. The sandbox's app is installed
   * per workspace, never org-wide, so is_enterprise_install is false.
   */
  enterpriseFields(teamId: string): { enterprise: { id: string; name: string } | null; is_enterprise_install: boolean } {
    const e = this.state.enterpriseOf(teamId);
    return { enterprise: e ? { id: e.id, name: e.name } : null, is_enterprise_install: false };
  }

  private person(userId: string) {
    const user = this.state.users.get(userId);
    if (!user || user.isBot) throw new Error(`no person ${userId} in the sandbox`);
    return user;
  }

  private issueResponseUrl(e: Omit<ResponseUrl, 'uses' | 'issuedAt'>): string {
    const path = `/actions/${e.teamId}/${Date.now()}${Math.floor(Math.random() * 1000)}/${randomHex(12)}`;
    this.responseUrls.set(path, { ...e, uses: 0, issuedAt: this.clock.now() });
    return `${this.baseUrl()}${path}`;
  }

  private async deliver(
    type: InteractionRecord['type'],
    teamId: string,
    userId: string,
    payload: Record<string, unknown>,
    url = this.requestUrl,
    body = `payload=${encodeURIComponent(JSON.stringify(payload))}`,
  ): Promise<InteractionRecord> {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signRequest(this.signingSecret(), timestamp, body),
    };
    const record: InteractionRecord = { type, teamId, userId, requestUrl: url, payload, headers, response: { durationMs: 0, withinDeadline: false, body: '' } };
    this.records.push(record);
    if (!url) {
      record.response.error = 'no_request_url';
      this.state.changed();
      return record;
    }
    const started = performance.now();
    record.response.sentAtMs = started;
    try {
      const res = await postForm(url, { ...headers, 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' }, body, this.timeoutMs);
      record.response.status = res.status;
      record.response.body = res.body;
      record.response.durationMs = performance.now() - started;
      record.response.withinDeadline = record.response.durationMs <= this.timeoutMs;
    } catch (err) {
      record.response.durationMs = performance.now() - started;
      record.response.error = (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection_failed';
    }
    this.state.changed();
    return record;
  }
}

/**
 * Kept-alive connections to the app's Request URLs. The sandbox POSTs through
 * `node:http`: `fetch` cost about 1 ms more a click, on a path the bench
 * times from the click to the card (bench/README.md, Findings).
 */
const CLIENTS = {
  'http:': { agent: new http.Agent({ keepAlive: true }), request: http.request },
  'https:': { agent: new https.Agent({ keepAlive: true }), request: https.request },
};

/** POSTs a form and reads the answer as text; rejects with a `TimeoutError` when the whole exchange takes longer than `timeoutMs`. No redirect is followed. */
function postForm(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = CLIENTS[target.protocol as keyof typeof CLIENTS];
    if (!client) return reject(new Error(`the Request URL ${url} is not http(s)`));
    let timedOut: Error | undefined;
    // Past the deadline, whatever broke the exchange (the request or a half-read answer) is the timeout.
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(timedOut ?? err);
    };
    const req = client.request(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: client.agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: text });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => {
      timedOut = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' });
      req.destroy(timedOut);
    }, timeoutMs);
    req.on('error', fail);
    req.end(body);
  });
}

function findAction(blocks: unknown[], o: Pick<ClickOptions, 'actionId' | 'value' | 'blockId'>): { element: Element; blockId: string } | undefined {
  for (const b of blocks as Array<Record<string, unknown>>) {
    if (o.blockId && b.block_id !== o.blockId) continue;
    const elements: Element[] = [];
    if (Array.isArray(b.elements)) elements.push(...(b.elements as Element[]));
    if (b.accessory) elements.push(b.accessory as Element);
    for (const el of elements) {
      if (el.action_id !== o.actionId) continue;
      if (o.value !== undefined && el.type === 'button' && el.value !== o.value) continue;
      return { element: el, blockId: String(b.block_id) };
    }
  }
  return undefined;
}

function stateValues(blocks: unknown[], given: Record<string, string | string[]>): { values: Record<string, Record<string, unknown>>; missing: string[] } {
  const values: Record<string, Record<string, unknown>> = {};
  const missing: string[] = [];
  for (const b of blocks as Array<Record<string, unknown>>) {
    if (b.type !== 'input') continue;
    const el = b.element as Element;
    const blockId = String(b.block_id);
    const actionId = String(el.action_id);
    const v = given[blockId] ?? given[actionId];
    const empty = v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
    if (empty && b.optional !== true) missing.push(blockId);
    const one = Array.isArray(v) ? v[0] : v;
    const many = v === undefined ? [] : Array.isArray(v) ? v : [v];
    const options = (el.options as Array<{ value: string }> | undefined) ?? [];
    let entry: Record<string, unknown>;
    switch (el.type) {
      case 'static_select':
      case 'radio_buttons':
        entry = { type: el.type, selected_option: options.find((x) => x.value === one) ?? null };
        break;
      case 'multi_static_select':
      case 'checkboxes':
        entry = { type: el.type, selected_options: options.filter((x) => many.includes(x.value)) };
        break;
      case 'users_select':
        entry = { type: el.type, selected_user: one ?? null };
        break;
      case 'multi_users_select':
        entry = { type: el.type, selected_users: many };
        break;
      case 'conversations_select':
        entry = { type: el.type, selected_conversation: one ?? null };
        break;
      case 'channels_select':
        entry = { type: el.type, selected_channel: one ?? null };
        break;
      case 'datepicker':
        entry = { type: el.type, selected_date: one ?? null };
        break;
      default:
        entry = { type: el.type, value: one ?? null };
    }
    values[blockId] = { [actionId]: entry };
  }
  return { values, missing };
}

