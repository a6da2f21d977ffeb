/**
 * Workspace state: teams, users, user groups, bots, channels and everything
 * posted into them. Plain data plus the lookups the Web API methods share;
 * Slack's rules live in rules.ts and the methods themselves in methods/.
 */
import { EventEmitter } from 'node:events';
import { SandboxClock } from './clock';
import { slackId } from './ids';

/** An Enterprise Grid organization: several workspaces under one enterprise (E…). */
export interface Enterprise {
  id: string;
  name: string;
}

export interface Team {
  id: string;
  name: string;
  domain: string;
  /** The Enterprise Grid organization the workspace belongs to, if any. */
  enterpriseId?: string;
  /** The app's bot user in this workspace. */
  botUserId: string;
  botId: string;
}

export interface User {
  id: string;
  teamId: string;
  name: string;
  realName: string;
  email?: string;
  isBot: boolean;
  botId?: string;
  isAdmin?: boolean;
  deleted?: boolean;
}

export interface UserGroup {
  id: string;
  teamId: string;
  handle: string;
  name: string;
  description: string;
  users: string[];
  disabled?: boolean;
  created: number;
}

export interface Reaction {
  name: string;
  users: string[];
}

export interface MessageEdit {
  /** What the message said before this edit. */
  text: string;
  blocks?: unknown[];
  editedTs: string;
  user: string;
}

export interface Message {
  ts: string;
  channel: string;
  teamId: string;
  /** Posting user (for a bot, its bot user). */
  user: string;
  botId?: string;
  appId?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: { event_type: string; event_payload: unknown };
  threadTs?: string;
  replyBroadcast?: boolean;
  username?: string;
  iconEmoji?: string;
  iconUrl?: string;
  edited?: { user: string; ts: string };
  /** Earlier versions, oldest first. */
  edits: MessageEdit[];
  reactions: Reaction[];
  /** Files shared with the message (files.completeUploadExternal). */
  files?: string[];
  deleted?: boolean;
  /** Slack's own line about the channel (someone joined, the purpose or topic set, archived): its documented subtype. */
  subtype?: SystemSubtype;
  /** The fields Slack adds to that line: `inviter`, `purpose`, `topic`. */
  systemFields?: Record<string, string>;
  /** How the message arrived: the Web API, an incoming webhook, a response_url, a person on the page, or Slack itself. */
  via: 'api' | 'webhook' | 'response_url' | 'page' | 'scheduled' | 'seed' | 'system';
}

export type SystemSubtype = 'channel_join' | 'channel_purpose' | 'channel_topic' | 'channel_archive' | 'channel_unarchive';

/** An upload: created by files.getUploadURLExternal, filled at its upload URL, shared by files.completeUploadExternal. */
export interface SandboxFile {
  id: string;
  teamId: string;
  user: string;
  name: string;
  /** The length announced to files.getUploadURLExternal. */
  length: number;
  /** The secret part of the upload URL. */
  uploadKey: string;
  content?: Buffer;
  title?: string;
  /** Set once files.completeUploadExternal shared it. */
  sharedIn?: { channel: string; ts: string };
  created: number;
}

/** A channel canvas (conversations.canvases.create): markdown as the app wrote it. */
export interface Canvas {
  id: string;
  channelId: string;
  title: string;
  markdown: string;
  createdBy: string;
  created: number;
}

export interface Bookmark {
  id: string;
  channelId: string;
  title: string;
  link: string;
  emoji?: string;
  type: string;
  created: number;
  createdBy: string;
}

export interface Channel {
  id: string;
  teamId: string;
  name: string;
  isPrivate: boolean;
  /** A direct message with `imUser`. */
  isIm: boolean;
  imUser?: string;
  isGeneral: boolean;
  members: Set<string>;
  /** Other workspaces of the organization the channel is shared with (a multi-workspace channel). */
  sharedTeamIds: string[];
  archived: boolean;
  created: number;
  creator: string;
  topic: { value: string; creator: string; last_set: number };
  purpose: { value: string; creator: string; last_set: number };
  messages: Message[];
  pins: Set<string>;
  bookmarks: Bookmark[];
}

export interface Ephemeral {
  ts: string;
  channel: string;
  teamId: string;
  /** Who sees it. */
  user: string;
  /** Who sent it (a bot user for apps). */
  from: string;
  botId?: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  via: 'api' | 'response_url';
}

export interface ScheduledMessage {
  id: string;
  channel: string;
  teamId: string;
  postAt: number;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  metadata?: Message['metadata'];
  user: string;
  botId?: string;
  appId?: string;
  /** Set once delivered: the posted message's ts. */
  postedTs?: string;
}

export interface TokenInfo {
  token: string;
  teamId: string;
  type: 'bot' | 'user';
  /** The acting user: the bot user for bot tokens. */
  userId: string;
  botId?: string;
  appId: string;
  scopes: string[];
  revoked?: boolean;
}

export interface View {
  id: string;
  teamId: string;
  userId: string;
  appId: string;
  /** The app's bot in the view's workspace (B…): Slack's `view.bot_id`. */
  botId: string;
  type: 'modal' | 'home';
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: unknown[];
  callbackId?: string;
  privateMetadata?: string;
  externalId?: string;
  hash: string;
  rootViewId: string;
  previousViewId?: string;
  open: boolean;
  /** The view as the app sent it, for the payloads. */
  raw: Record<string, unknown>;
}

/** Names of the app the sandbox hosts (Signalroom's Slack app). */
export const SANDBOX_APP_ID = 'A0SIGNALRM';

/** Change notifications for the page: every mutation emits `change`. */
export class SandboxState extends EventEmitter {
  readonly teams = new Map<string, Team>();
  readonly enterprises = new Map<string, Enterprise>();
  readonly users = new Map<string, User>();
  readonly groups = new Map<string, UserGroup>();
  readonly channels = new Map<string, Channel>();
  readonly tokens = new Map<string, TokenInfo>();
  readonly ephemerals: Ephemeral[] = [];
  readonly scheduled: ScheduledMessage[] = [];
  readonly files = new Map<string, SandboxFile>();
  readonly canvases = new Map<string, Canvas>();
  /** Bumped on every change; the page polls it. */
  version = 0;

  constructor(readonly clock: SandboxClock) {
    super();
    // Every waiter (Sandbox.waitUntil) listens for changes until it is done, and many may wait at once.
    this.setMaxListeners(0);
  }

  /**
   * Forgets every workspace and everything in it. The version keeps counting,
   * so a page that polls it sees the change.
   */
  reset(): void {
    for (const m of [this.enterprises, this.teams, this.users, this.groups, this.channels, this.tokens, this.files, this.canvases]) m.clear();
    this.ephemerals.length = 0;
    this.scheduled.length = 0;
    this.changed();
  }

  changed(): void {
    this.version++;
    this.emit('change', this.version);
  }

  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  addEnterprise(spec: Enterprise): Enterprise {
    if (this.enterprises.has(spec.id)) throw new Error(`enterprise ${spec.id} already exists`);
    this.enterprises.set(spec.id, { id: spec.id, name: spec.name });
    this.changed();
    return this.enterprises.get(spec.id)!;
  }

  /** The organization of a workspace, or undefined outside Enterprise Grid. */
  enterpriseOf(teamId: string): Enterprise | undefined {
    const id = this.teams.get(teamId)?.enterpriseId;
    return id ? this.enterprises.get(id) : undefined;
  }

  /** Can a person of `teamId` see the channel: its own workspace's, or shared with theirs in the organization. */
  sharedWith(channel: Channel, teamId: string): boolean {
    return channel.teamId === teamId || channel.sharedTeamIds.includes(teamId);
  }

  addTeam(spec: { id?: string; name: string; domain?: string; botUserId?: string; botId?: string; botName?: string; enterpriseId?: string }): Team {
    const id = spec.id ?? slackId('T');
    if (this.teams.has(id)) throw new Error(`workspace ${id} already exists`);
    if (spec.enterpriseId && !this.enterprises.has(spec.enterpriseId)) throw new Error(`no enterprise ${spec.enterpriseId}`);
    const botUserId = spec.botUserId ?? slackId('U');
    const botId = spec.botId ?? slackId('B');
    const team: Team = { id, name: spec.name, domain: spec.domain ?? spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'), botUserId, botId, ...(spec.enterpriseId ? { enterpriseId: spec.enterpriseId } : {}) };
    this.teams.set(id, team);
    this.users.set(botUserId, { id: botUserId, teamId: id, name: spec.botName ?? 'signalroom', realName: 'Signalroom', isBot: true, botId });
    this.changed();
    return team;
  }

  team(teamId: string): Team {
    const team = this.teams.get(teamId);
    if (!team) throw new Error(`no workspace ${teamId}`);
    return team;
  }

  addUser(teamId: string, spec: { id?: string; name: string; realName?: string; email?: string; isAdmin?: boolean }): User {
    this.team(teamId);
    const user: User = { id: spec.id ?? slackId('U'), teamId, name: spec.name, realName: spec.realName ?? spec.name, email: spec.email, isBot: false, isAdmin: spec.isAdmin };
    this.users.set(user.id, user);
    this.changed();
    return user;
  }

  addGroup(teamId: string, spec: { id?: string; handle: string; name?: string; description?: string; users?: string[] }): UserGroup {
    this.team(teamId);
    const group: UserGroup = {
      id: spec.id ?? slackId('S'),
      teamId,
      handle: spec.handle,
      name: spec.name ?? spec.handle,
      description: spec.description ?? '',
      users: (spec.users ?? []).map((u) => this.resolveUserId(teamId, u)),
      created: this.nowSeconds(),
    };
    this.groups.set(group.id, group);
    this.changed();
    return group;
  }

  addChannel(teamId: string, spec: { id?: string; name: string; isPrivate?: boolean; members?: string[]; topic?: string; purpose?: string; creator?: string; archived?: boolean; isGeneral?: boolean; sharedWith?: string[] }): Channel {
    const team = this.team(teamId);
    const creator = spec.creator ? this.resolveUserId(teamId, spec.creator) : team.botUserId;
    const now = this.nowSeconds();
    const channel: Channel = {
      id: spec.id ?? slackId(spec.isPrivate ? 'G' : 'C'),
      teamId,
      name: spec.name,
      isPrivate: spec.isPrivate ?? false,
      isIm: false,
      isGeneral: spec.isGeneral ?? spec.name === 'general',
      members: new Set((spec.members ?? []).map((m) => this.resolveUserId(teamId, m))),
      sharedTeamIds: (spec.sharedWith ?? []).filter((t) => t !== teamId && this.enterpriseOf(t) !== undefined && this.enterpriseOf(t) === this.enterpriseOf(teamId)),
      archived: spec.archived ?? false,
      created: now,
      creator,
      topic: { value: spec.topic ?? '', creator: spec.topic ? creator : '', last_set: spec.topic ? now : 0 },
      purpose: { value: spec.purpose ?? '', creator: spec.purpose ? creator : '', last_set: spec.purpose ? now : 0 },
      messages: [],
      pins: new Set(),
      bookmarks: [],
    };
    this.channels.set(channel.id, channel);
    this.changed();
    return channel;
  }

  /** The direct-message conversation between the app's bot and `userId`, opened on first use. */
  imWith(teamId: string, userId: string): Channel {
    const existing = [...this.channels.values()].find((c) => c.teamId === teamId && c.isIm && c.imUser === userId);
    if (existing) return existing;
    const team = this.team(teamId);
    const channel = this.addChannel(teamId, { id: slackId('D'), name: userId, isPrivate: true, members: [userId, team.botUserId] });
    channel.isIm = true;
    channel.imUser = userId;
    return channel;
  }

  /** Accepts a user id or a user name (alice). */
  resolveUserId(teamId: string, idOrName: string): string {
    if (this.users.has(idOrName)) return idOrName;
    const byName = [...this.users.values()].find((u) => u.teamId === teamId && (u.name === idOrName || u.email === idOrName));
    if (!byName) throw new Error(`no user ${idOrName} in workspace ${teamId}`);
    return byName.id;
  }

  channelByName(name: string, teamId: string): Channel | undefined {
    const bare = name.replace(/^#/, '');
    return [...this.channels.values()].find((c) => c.teamId === teamId && !c.isIm && c.name === bare);
  }

  /** The channel's list is ordered by ts (see addMessage): a lookup is a binary search, not a scan of every message. */
  findMessage(channel: Channel, ts: string): Message | undefined {
    const list = channel.messages;
    const at = firstAtOrAfter(list, ts);
    // Two messages never share a ts in one channel, but a malformed ts compares equal to its neighbours: check them all.
    for (let i = at; i < list.length && compareTs(list[i].ts, ts) === 0; i++) if (list[i].ts === ts && !list[i].deleted) return list[i];
    return undefined;
  }

  replies(channel: Channel, threadTs: string): Message[] {
    return channel.messages.filter((m) => m.threadTs === threadTs && m.ts !== threadTs && !m.deleted);
  }

  /** Adds a message and keeps the channel's list ordered by ts. */
  addMessage(channel: Channel, message: Omit<Message, 'ts' | 'channel' | 'teamId' | 'edits' | 'reactions'> & { ts?: string }): Message {
    const full: Message = { ...message, ts: message.ts ?? this.clock.nextTs(), channel: channel.id, teamId: channel.teamId, edits: [], reactions: [] };
    // Usually the newest: append. An older ts (a scheduled message's) goes in its place, found by binary search;
    // re-sorting the whole channel on every post made posting slower with every message.
    const list = channel.messages;
    if (!list.length || compareTs(list[list.length - 1].ts, full.ts) <= 0) list.push(full);
    else list.splice(firstAfter(list, full.ts), 0, full);
    this.changed();
    return full;
  }

  /**
   * Slack's own line in a channel, as people see it and history returns it
   * (the message subtypes Slack documents): `<@U…> has joined the channel`,
   * `… set the channel purpose: …` and so on.
   */
  addSystemMessage(channel: Channel, subtype: SystemSubtype, user: string, fields: Record<string, string> = {}): Message {
    const who = `<@${user}>`;
    const text =
      subtype === 'channel_join'
        ? `${who} has joined the channel`
        : subtype === 'channel_purpose'
          ? fields.purpose ? `${who} set the channel purpose: ${fields.purpose}` : `${who} cleared the channel purpose`
          : subtype === 'channel_topic'
            ? fields.topic ? `${who} set the channel topic: ${fields.topic}` : `${who} cleared the channel topic`
            : subtype === 'channel_archive'
              ? `${who} archived the channel`
              : `${who} un-archived the channel`;
    return this.addMessage(channel, { user, text, subtype, systemFields: fields, via: 'system' });
  }

  addEphemeral(e: Omit<Ephemeral, 'ts'>): Ephemeral {
    const full = { ...e, ts: this.clock.nextTs() };
    this.ephemerals.push(full);
    this.changed();
    return full;
  }
}

export function compareTs(a: string, b: string): number {
  const [as, af = '0'] = a.split('.');
  const [bs, bf = '0'] = b.split('.');
  return Number(as) - Number(bs) || Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}

/** Binary searches over a list ordered by ts: the index of the first message whose ts is at or after `ts`… */
function firstAtOrAfter(list: readonly { ts: string }[], ts: string): number {
  return search(list, (m) => compareTs(m.ts, ts) < 0);
}

/** …and of the first whose ts is after it. */
function firstAfter(list: readonly { ts: string }[], ts: string): number {
  return search(list, (m) => compareTs(m.ts, ts) <= 0);
}

/** The first index where `before` turns false (it is true for a prefix of the list). */
function search<T>(list: readonly T[], before: (item: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
