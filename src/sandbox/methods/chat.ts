/** chat.*: post, update, delete, ephemeral, schedule, permalink. */
import { normalizeBlocks, parseBlocks, validateBlocks } from '../block-kit';
import { slackId } from '../ids';
import { ApiError, RateLimited } from '../api-error';
import { bool, channelArg, jsonArg, str, type MethodContext, type MethodHandler } from '../method-context';
import { MAX_MESSAGE_TEXT, postRefusal } from '../rules';
import { messageJson } from '../serialize';
import type { Channel, Message } from '../state';

const MAX_METADATA_BYTES = 8_000;
const MAX_SCHEDULE_AHEAD_S = 120 * 24 * 3600;

interface Content {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: Message['metadata'] | null;
}

/** Reads text, blocks, attachments, markdown_text and metadata the way every chat method does. */
function readContent(ctx: MethodContext, opts: { requireContent: boolean; textLimit: 'truncate' | 'refuse' }): Content & { hasBlocks: boolean } {
  const markdown = str(ctx, 'markdown_text');
  let text = str(ctx, 'text') ?? '';
  const parsed = parseBlocks(ctx.args.blocks);
  if (parsed.problem) throw new ApiError(parsed.problem.error, { response_metadata: { messages: parsed.problem.messages } });
  if (markdown !== undefined && (text || parsed.blocks)) throw new ApiError('markdown_text_conflict');
  if (parsed.blocks) {
    const problem = validateBlocks(parsed.blocks, 'message');
    if (problem) throw new ApiError(problem.error, { response_metadata: { messages: problem.messages } });
  }
  const att = jsonArg(ctx, 'attachments');
  let attachments: unknown[] | undefined;
  if (att.value !== undefined) {
    if (att.malformed || !Array.isArray(att.value)) throw new ApiError(ctx.method === 'chat.postMessage' ? 'too_many_attachments' : 'invalid_attachments');
    if (att.value.length > 100) throw new ApiError('too_many_attachments');
    attachments = att.value;
  } else if (att.malformed) throw new ApiError(ctx.method === 'chat.postMessage' ? 'too_many_attachments' : 'invalid_attachments');
  if (markdown !== undefined) text = markdown;
  if (opts.requireContent && !text && !parsed.blocks?.length && !attachments?.length) throw new ApiError('no_text');
  if (text.length > MAX_MESSAGE_TEXT) {
    if (opts.textLimit === 'refuse') throw new ApiError('msg_too_long');
    text = text.slice(0, MAX_MESSAGE_TEXT);
    ctx.warnings.push('message_truncated');
  }
  return { text, blocks: parsed.blocks ? normalizeBlocks(parsed.blocks) : undefined, attachments, metadata: readMetadata(ctx), hasBlocks: parsed.blocks !== undefined };
}

/** `null` means "remove the metadata": chat.update takes an empty object for that, as Slack documents. */
function readMetadata(ctx: MethodContext): Message['metadata'] | null | undefined {
  const m = jsonArg(ctx, 'metadata');
  if (m.malformed) throw new ApiError('invalid_metadata_format');
  if (m.value === undefined) return undefined;
  const v = m.value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError('invalid_metadata_format');
  if (ctx.method === 'chat.update' && Object.keys(v).length === 0) return null;
  if (typeof v.event_type !== 'string' || !v.event_type || (v.event_payload !== undefined && (typeof v.event_payload !== 'object' || v.event_payload === null))) {
    throw new ApiError('invalid_metadata_schema');
  }
  if (ctx.token.type !== 'bot') throw new ApiError('metadata_must_be_sent_from_app');
  if (JSON.stringify(v).length > MAX_METADATA_BYTES) throw new ApiError('metadata_too_large');
  return { event_type: v.event_type, event_payload: v.event_payload ?? {} };
}

function postTarget(ctx: MethodContext): Channel {
  const channel = channelArg(ctx, 'channel', { allowUserId: true, allowName: true });
  const refusal = postRefusal(channel, ctx.token);
  if (refusal) throw new ApiError(refusal);
  return channel;
}

/**
 * A reply's thread_ts points at its parent; Slack threads replies-to-replies
 * under the parent. A thread_ts naming no message is refused with `notFound`
 * (chat.scheduleMessage has its own code for it).
 */
function threadParent(ctx: MethodContext, channel: Channel, notFound = 'cannot_reply_to_message'): string | undefined {
  const threadTs = str(ctx, 'thread_ts');
  if (!threadTs) return undefined;
  const target = ctx.state.findMessage(channel, threadTs);
  if (!target) throw new ApiError(notFound);
  return target.threadTs ?? target.ts;
}

function customization(ctx: MethodContext): Pick<Message, 'username' | 'iconEmoji' | 'iconUrl'> {
  if (!ctx.token.scopes.includes('chat:write.customize')) {
    if (ctx.args.username !== undefined || ctx.args.icon_emoji !== undefined || ctx.args.icon_url !== undefined) ctx.warnings.push('missing_chat_write_customize_scope');
    return {};
  }
  return { username: str(ctx, 'username'), iconEmoji: str(ctx, 'icon_emoji'), iconUrl: str(ctx, 'icon_url') };
}

const postMessage: MethodHandler = (ctx) => {
  if (bool(ctx, 'as_user') && ctx.token.type === 'bot') throw new ApiError('as_user_not_supported');
  const channel = postTarget(ctx);
  const content = readContent(ctx, { requireContent: true, textLimit: 'truncate' });
  const threadTs = threadParent(ctx, channel);
  const wait = ctx.services.rateLimiter.checkChannelPost(channel.teamId, channel.id, ctx.services.clock.now());
  if (wait) throw new RateLimited(wait);
  const m = ctx.state.addMessage(channel, {
    user: ctx.token.userId,
    botId: ctx.token.botId,
    appId: ctx.token.type === 'bot' ? ctx.token.appId : undefined,
    text: content.text,
    blocks: content.blocks,
    attachments: content.attachments,
    metadata: content.metadata ?? undefined,
    threadTs,
    replyBroadcast: threadTs ? bool(ctx, 'reply_broadcast') : undefined,
    ...customization(ctx),
    via: 'api',
  });
  return { channel: channel.id, ts: m.ts, message: messageJson(ctx.state, channel, m, { includeMetadata: true }) };
};

const update: MethodHandler = (ctx) => {
  const channel = channelArg(ctx, 'channel', { allowName: false });
  const ts = str(ctx, 'ts')!;
  const m = ctx.state.findMessage(channel, ts);
  if (!m) throw new ApiError('message_not_found');
  if (m.user !== ctx.token.userId || channel.archived) throw new ApiError('cant_update_message');
  const hasText = ctx.args.text !== undefined || ctx.args.markdown_text !== undefined;
  const content = readContent(ctx, { requireContent: false, textLimit: 'refuse' });
  if (!hasText && !content.hasBlocks && !content.attachments && content.metadata === undefined) throw new ApiError('no_text');
  m.edits.push({ text: m.text, blocks: m.blocks, editedTs: m.edited?.ts ?? m.ts, user: m.edited?.user ?? m.user });
  if (hasText) m.text = content.text;
  if (content.hasBlocks) m.blocks = content.blocks!.length ? content.blocks : undefined;
  if (content.attachments) m.attachments = content.attachments.length ? content.attachments : undefined;
  if (content.metadata !== undefined) m.metadata = content.metadata ?? undefined;
  m.edited = { user: ctx.token.userId, ts: ctx.services.clock.nextTs() };
  ctx.state.changed();
  return { channel: channel.id, ts: m.ts, text: m.text, message: messageJson(ctx.state, channel, m, { includeMetadata: true }) };
};

const del: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  const m = ctx.state.findMessage(channel, str(ctx, 'ts')!);
  if (!m) throw new ApiError('message_not_found');
  const admin = ctx.token.type === 'user' && ctx.state.users.get(ctx.token.userId)?.isAdmin;
  if (m.user !== ctx.token.userId && !admin) throw new ApiError('cant_delete_message');
  m.deleted = true;
  channel.pins.delete(m.ts);
  ctx.state.changed();
  return { channel: channel.id, ts: m.ts };
};

const postEphemeral: MethodHandler = (ctx) => {
  const channel = postTarget(ctx);
  const userId = str(ctx, 'user')!;
  if (!channel.members.has(userId)) throw new ApiError('user_not_in_channel');
  const content = readContent(ctx, { requireContent: true, textLimit: 'refuse' });
  const threadTs = str(ctx, 'thread_ts');
  const e = ctx.state.addEphemeral({
    channel: channel.id,
    teamId: channel.teamId,
    user: userId,
    from: ctx.token.userId,
    botId: ctx.token.botId,
    text: content.text,
    blocks: content.blocks,
    threadTs,
    via: 'api',
  });
  return { message_ts: e.ts };
};

const scheduleMessage: MethodHandler = (ctx) => {
  const channel = postTarget(ctx);
  const content = readContent(ctx, { requireContent: true, textLimit: 'refuse' });
  const postAt = Number(str(ctx, 'post_at'));
  if (!Number.isInteger(postAt)) throw new ApiError('invalid_time');
  const now = ctx.state.nowSeconds();
  if (postAt <= now) throw new ApiError('time_in_past');
  if (postAt > now + MAX_SCHEDULE_AHEAD_S) throw new ApiError('time_too_far');
  const threadTs = threadParent(ctx, channel, 'restricted_action_non_threadable_channel');
  const id = slackId('Q');
  ctx.state.scheduled.push({
    id,
    channel: channel.id,
    teamId: channel.teamId,
    postAt,
    text: content.text,
    blocks: content.blocks,
    metadata: content.metadata ?? undefined,
    threadTs,
    user: ctx.token.userId,
    botId: ctx.token.botId,
    appId: ctx.token.type === 'bot' ? ctx.token.appId : undefined,
  });
  ctx.state.changed();
  return {
    channel: channel.id,
    scheduled_message_id: id,
    post_at: postAt,
    message: { type: 'delayed_message', text: content.text, blocks: content.blocks, user: ctx.token.userId, bot_id: ctx.token.botId, team: channel.teamId },
  };
};

const getPermalink: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  const m = ctx.state.findMessage(channel, str(ctx, 'message_ts')!);
  if (!m) throw new ApiError('message_not_found');
  const team = ctx.state.team(channel.teamId);
  const thread = m.threadTs && m.threadTs !== m.ts ? `?thread_ts=${m.threadTs}&cid=${channel.id}` : '';
  return { channel: channel.id, permalink: `${ctx.services.baseUrl()}/archives/${channel.id}/p${m.ts.replace('.', '')}${thread}`, team: team.id };
};

export const chatMethods: Record<string, MethodHandler> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.delete': del,
  'chat.postEphemeral': postEphemeral,
  'chat.scheduleMessage': scheduleMessage,
  'chat.getPermalink': getPermalink,
};
