/** conversations.*: create, archive, join, invite, info, list, members, history, replies, topic and purpose. */
import { ApiError } from '../api-error';
import { bool, channelArg, paginate, requireChannelScope, str, type MethodContext, type MethodHandler } from '../method-context';
import { MAX_PURPOSE_LENGTH, MAX_TOPIC_LENGTH, canSee, channelKind, channelNameError, channelNameTaken, missingChannelScope } from '../rules';
import { conversationJson, messageJson } from '../serialize';
import { compareTs, type Channel, type Message } from '../state';

const create: MethodHandler = (ctx) => {
  const isPrivate = bool(ctx, 'is_private');
  requireChannelScope(ctx, 'manage', { isIm: false, isPrivate });
  const name = str(ctx, 'name') ?? '';
  const problem = channelNameError(name);
  if (problem) throw new ApiError(problem);
  if (channelNameTaken(ctx.state, ctx.token.teamId, name)) throw new ApiError('name_taken');
  const channel = ctx.state.addChannel(ctx.token.teamId, { name, isPrivate, creator: ctx.token.userId, members: [ctx.token.userId] });
  ctx.state.addSystemMessage(channel, 'channel_join', ctx.token.userId);
  return { channel: conversationJson(ctx.state, channel, ctx.token) };
};

function memberChannel(ctx: MethodContext, op: 'manage' | 'topic' | 'invite'): Channel {
  const channel = channelArg(ctx);
  requireChannelScope(ctx, op, channel);
  return channel;
}

const archive: MethodHandler = (ctx) => {
  const channel = memberChannel(ctx, 'manage');
  if (channel.isIm) throw new ApiError('method_not_supported_for_channel_type');
  if (channel.archived) throw new ApiError('already_archived');
  if (channel.isGeneral) throw new ApiError('cant_archive_general');
  if (!channel.members.has(ctx.token.userId)) throw new ApiError('not_in_channel');
  ctx.state.addSystemMessage(channel, 'channel_archive', ctx.token.userId);
  channel.archived = true;
  ctx.state.changed();
  return {};
};

const unarchive: MethodHandler = (ctx) => {
  const channel = memberChannel(ctx, 'manage');
  if (channel.isIm) throw new ApiError('method_not_supported_for_channel_type');
  if (!channel.archived) throw new ApiError('not_archived');
  channel.archived = false;
  ctx.state.addSystemMessage(channel, 'channel_unarchive', ctx.token.userId);
  ctx.state.changed();
  return {};
};

const join: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  if (channel.isPrivate || channel.isIm) throw new ApiError('method_not_supported_for_channel_type');
  requireChannelScope(ctx, 'join', channel);
  if (channel.archived) throw new ApiError('is_archived');
  const already = channel.members.has(ctx.token.userId);
  channel.members.add(ctx.token.userId);
  if (!already) ctx.state.addSystemMessage(channel, 'channel_join', ctx.token.userId);
  ctx.state.changed();
  const out: Record<string, unknown> = { channel: conversationJson(ctx.state, channel, ctx.token) };
  if (already) {
    out.warning = 'already_in_channel';
    ctx.warnings.push('already_in_channel');
  }
  return out;
};

const invite: MethodHandler = (ctx) => {
  const channel = memberChannel(ctx, 'invite');
  if (channel.isIm) throw new ApiError('method_not_supported_for_channel_type');
  if (channel.archived) throw new ApiError('is_archived');
  if (!channel.members.has(ctx.token.userId)) throw new ApiError('not_in_channel');
  const ids = (str(ctx, 'users') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new ApiError('no_user');
  // Slack checks every person and answers one `errors` entry per person refused. Without force=true one
  // refusal fails the whole call and nobody is invited; with it the others are invited and the entries stay.
  const errors: Array<{ user: string; ok: false; error: string }> = [];
  for (const id of ids) {
    const user = ctx.state.users.get(id);
    const error = !user || user.teamId !== ctx.token.teamId || user.deleted ? 'user_not_found' : id === ctx.token.userId ? 'cant_invite_self' : channel.members.has(id) ? 'already_in_channel' : undefined;
    if (error) errors.push({ user: id, ok: false, error });
  }
  const fresh = [...new Set(ids.filter((id) => !errors.some((e) => e.user === id)))];
  if (errors.length && (fresh.length === 0 || !bool(ctx, 'force'))) throw new ApiError(errors[0]!.error, { errors });
  for (const id of fresh) {
    channel.members.add(id);
    ctx.state.addSystemMessage(channel, 'channel_join', id, { inviter: ctx.token.userId });
  }
  ctx.state.changed();
  return { channel: conversationJson(ctx.state, channel, ctx.token), ...(errors.length ? { errors } : {}) };
};

function setText(field: 'topic' | 'purpose', max: number): MethodHandler {
  return (ctx) => {
    const channel = memberChannel(ctx, 'topic');
    if (channel.archived) throw new ApiError('is_archived');
    if (!channel.members.has(ctx.token.userId)) throw new ApiError('not_in_channel');
    const value = str(ctx, field) ?? '';
    if (value.length > max) throw new ApiError('too_long');
    channel[field] = { value, creator: ctx.token.userId, last_set: ctx.state.nowSeconds() };
    ctx.state.addSystemMessage(channel, field === 'topic' ? 'channel_topic' : 'channel_purpose', ctx.token.userId, { [field]: value });
    ctx.state.changed();
    return { channel: conversationJson(ctx.state, channel, ctx.token) };
  };
}

const info: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  requireChannelScope(ctx, 'read', channel);
  return { channel: conversationJson(ctx.state, channel, ctx.token, { numMembers: bool(ctx, 'include_num_members') }) };
};

const TYPES = ['public_channel', 'private_channel', 'mpim', 'im'] as const;

const list: MethodHandler = (ctx) => {
  const types = (str(ctx, 'types') ?? 'public_channel').split(',').map((t) => t.trim()).filter(Boolean);
  if (types.some((t) => !(TYPES as readonly string[]).includes(t))) throw new ApiError('invalid_types');
  const kinds = new Set(types.map((t) => (t === 'public_channel' ? 'public' : t === 'private_channel' ? 'private' : t === 'im' ? 'im' : 'mpim')));
  for (const kind of kinds) {
    if (kind === 'mpim') continue;
    const needed = missingChannelScope('read', kind as 'public' | 'private' | 'im', ctx.token);
    if (needed) throw new ApiError('missing_scope', { needed: needed.join(','), provided: ctx.token.scopes.join(',') });
  }
  const excludeArchived = bool(ctx, 'exclude_archived');
  const rawLimit = str(ctx, 'limit');
  if (rawLimit !== undefined && rawLimit !== '' && (!/^\d+$/.test(rawLimit) || Number(rawLimit) > 1000)) throw new ApiError('invalid_limit');
  const all = [...ctx.state.channels.values()]
    .filter((c) => c.teamId === ctx.token.teamId && kinds.has(channelKind(c)) && canSee(c, ctx.token) && !(excludeArchived && c.archived))
    .sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
  const { page, nextCursor } = paginate(ctx, all, 100);
  return { channels: page.map((c) => conversationJson(ctx.state, c, ctx.token)), response_metadata: { next_cursor: nextCursor } };
};

const members: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  requireChannelScope(ctx, 'read', channel);
  const rawLimit = str(ctx, 'limit');
  if (rawLimit !== undefined && rawLimit !== '' && (!/^\d+$/.test(rawLimit) || Number(rawLimit) > 1000)) throw new ApiError('invalid_limit');
  const { page, nextCursor } = paginate(ctx, [...channel.members], 100);
  return { members: page, response_metadata: { next_cursor: nextCursor } };
};

/** Slack returns an app's own message metadata always, other apps' only with include_all_metadata. */
function ownMetadata(ctx: MethodContext, m: Message): boolean {
  return ctx.token.type === 'bot' && m.appId === ctx.token.appId;
}

function readableChannel(ctx: MethodContext): Channel {
  const channel = channelArg(ctx);
  requireChannelScope(ctx, 'history', channel);
  // Bots read only conversations they are in; people may read any public channel.
  if (ctx.token.type === 'bot' && !channel.members.has(ctx.token.userId)) throw new ApiError('not_in_channel');
  return channel;
}

function tsBound(ctx: MethodContext, name: 'latest' | 'oldest', error: string): string | undefined {
  const v = str(ctx, name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new ApiError(error);
  return v;
}

function withinBounds(ctx: MethodContext, messages: Message[]): Message[] {
  const latest = tsBound(ctx, 'latest', 'invalid_ts_latest');
  const oldest = tsBound(ctx, 'oldest', 'invalid_ts_oldest');
  const inclusive = bool(ctx, 'inclusive');
  return messages.filter((m) => {
    if (latest !== undefined) {
      const c = compareTs(m.ts, latest);
      if (c > 0 || (c === 0 && !inclusive)) return false;
    }
    if (oldest !== undefined) {
      const c = compareTs(m.ts, oldest);
      if (c < 0 || (c === 0 && !inclusive)) return false;
    }
    return true;
  });
}

const history: MethodHandler = (ctx) => {
  const channel = readableChannel(ctx);
  const includeMetadata = bool(ctx, 'include_all_metadata');
  const top = channel.messages.filter((m) => !m.deleted && (!m.threadTs || m.threadTs === m.ts || m.replyBroadcast));
  const newestFirst = withinBounds(ctx, top).reverse();
  const { page, nextCursor } = paginate(ctx, newestFirst, 100);
  return {
    messages: page.map((m) => messageJson(ctx.state, channel, m, { includeMetadata: includeMetadata || ownMetadata(ctx, m) })),
    has_more: nextCursor !== '',
    pin_count: channel.pins.size,
    channel_actions_ts: null,
    channel_actions_count: 0,
    response_metadata: { next_cursor: nextCursor },
  };
};

const replies: MethodHandler = (ctx) => {
  const channel = readableChannel(ctx);
  const ts = str(ctx, 'ts')!;
  const target = ctx.state.findMessage(channel, ts);
  if (!target) throw new ApiError('thread_not_found');
  const parentTs = target.threadTs ?? target.ts;
  const parent = ctx.state.findMessage(channel, parentTs);
  const thread = [...(parent ? [parent] : []), ...ctx.state.replies(channel, parentTs)];
  const includeMetadata = bool(ctx, 'include_all_metadata');
  const { page, nextCursor } = paginate(ctx, withinBounds(ctx, thread), 1000);
  return { messages: page.map((m) => messageJson(ctx.state, channel, m, { includeMetadata: includeMetadata || ownMetadata(ctx, m) })), has_more: nextCursor !== '', response_metadata: { next_cursor: nextCursor } };
};

export const conversationMethods: Record<string, MethodHandler> = {
  'conversations.create': create,
  'conversations.archive': archive,
  'conversations.unarchive': unarchive,
  'conversations.join': join,
  'conversations.invite': invite,
  'conversations.setTopic': setText('topic', MAX_TOPIC_LENGTH),
  'conversations.setPurpose': setText('purpose', MAX_PURPOSE_LENGTH),
  'conversations.info': info,
  'conversations.list': list,
  'conversations.members': members,
  'conversations.history': history,
  'conversations.replies': replies,
};
