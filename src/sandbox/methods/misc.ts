/** auth.test, pins.add, reactions.add, bookmarks.add, views.open/update/publish and oauth.v2.access. */
import { normalizeBlocks, validateBlocks, BLOCK_LIMITS } from '../block-kit';
import { randomHex, slackId } from '../ids';
import { ApiError, channelArg, jsonArg, str, type MethodContext, type MethodHandler } from '../method-context';
import { validEmojiName } from '../rules';
import type { View } from '../state';

const authTest: MethodHandler = (ctx) => {
  const team = ctx.state.team(ctx.token.teamId);
  const user = ctx.state.users.get(ctx.token.userId);
  const out: Record<string, unknown> = {
    url: `${ctx.services.baseUrl()}/`,
    team: team.name,
    user: user?.name,
    team_id: team.id,
    user_id: ctx.token.userId,
    is_enterprise_install: false,
  };
  if (ctx.token.type === 'bot') out.bot_id = ctx.token.botId;
  return out;
};

const pinsAdd: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  const ts = str(ctx, 'timestamp');
  if (!ts) throw new ApiError('no_item_specified');
  if (!/^\d+\.\d+$/.test(ts)) throw new ApiError('bad_timestamp');
  if (!channel.members.has(ctx.token.userId)) throw new ApiError('not_in_channel');
  if (channel.archived) throw new ApiError('restricted_action');
  const m = ctx.state.findMessage(channel, ts);
  if (!m) throw new ApiError('message_not_found');
  if (channel.pins.has(ts)) throw new ApiError('already_pinned');
  if (channel.pins.size >= 100) throw new ApiError('too_many_pins');
  channel.pins.add(ts);
  ctx.state.changed();
  return {};
};

const reactionsAdd: MethodHandler = (ctx) => {
  const channel = channelArg(ctx);
  const name = (str(ctx, 'name') ?? '').replace(/^:|:$/g, '');
  if (!name || !validEmojiName(name)) throw new ApiError('invalid_name');
  const ts = str(ctx, 'timestamp');
  if (!ts) throw new ApiError('no_item_specified');
  if (!/^\d+\.\d+$/.test(ts)) throw new ApiError('bad_timestamp');
  if (channel.archived) throw new ApiError('is_archived');
  const m = ctx.state.findMessage(channel, ts);
  if (!m) throw new ApiError('message_not_found');
  let r = m.reactions.find((x) => x.name === name);
  if (r?.users.includes(ctx.token.userId)) throw new ApiError('already_reacted');
  if (!r) {
    if (m.reactions.length >= 50) throw new ApiError('too_many_emoji');
    m.reactions.push((r = { name, users: [] }));
  }
  r.users.push(ctx.token.userId);
  ctx.state.changed();
  return {};
};

const bookmarksAdd: MethodHandler = (ctx) => {
  const channel = channelArg(ctx, 'channel_id');
  if (str(ctx, 'type') !== 'link') throw new ApiError('invalid_bookmark_type');
  const link = str(ctx, 'link') ?? '';
  if (!/^https?:\/\/[^\s]+$/.test(link)) throw new ApiError('invalid_link');
  if (channel.archived) throw new ApiError('permission_denied');
  if (channel.bookmarks.length >= 100) throw new ApiError('too_many_bookmarks');
  const emoji = str(ctx, 'emoji');
  if (emoji !== undefined && emoji !== '' && !validEmojiName(emoji.replace(/^:|:$/g, ''))) throw new ApiError('invalid_emoji');
  const now = ctx.state.nowSeconds();
  const b = { id: `Bk${slackId('B', 9).slice(1)}`, channelId: channel.id, title: str(ctx, 'title') ?? '', link, emoji, type: 'link', created: now, createdBy: ctx.token.userId };
  channel.bookmarks.push(b);
  ctx.state.changed();
  return {
    bookmark: {
      id: b.id,
      channel_id: channel.id,
      title: b.title,
      link: b.link,
      emoji: b.emoji ?? null,
      icon_url: null,
      type: 'link',
      entity_id: null,
      date_created: now,
      date_updated: 0,
      rank: String.fromCharCode(0x61 + channel.bookmarks.length - 1),
      last_updated_by_user_id: ctx.token.userId,
      last_updated_by_team_id: channel.teamId,
      shortcut_id: null,
      app_id: ctx.token.appId,
    },
  };
};

/** Reads and checks a view; malformed views are refused with the common invalid_form_data (Slack lists nothing narrower). */
function readView(ctx: MethodContext, kind: 'modal' | 'home'): Record<string, unknown> {
  const parsed = jsonArg(ctx, 'view');
  const v = parsed.value as Record<string, unknown> | undefined;
  if (parsed.malformed || !v || typeof v !== 'object' || Array.isArray(v)) throw new ApiError('invalid_form_data', { response_metadata: { messages: ['[ERROR] must provide an object [json-pointer:/view]'] } });
  const messages: string[] = [];
  if (v.type !== kind) messages.push(`[ERROR] must be ${kind} [json-pointer:/view/type]`);
  const blocks = Array.isArray(v.blocks) ? v.blocks : undefined;
  if (!blocks) messages.push('[ERROR] must provide an array [json-pointer:/view/blocks]');
  if (blocks && blocks.length > BLOCK_LIMITS.viewBlocks) throw new ApiError('view_too_large');
  if (kind === 'modal') {
    const title = v.title as { type?: string; text?: string } | undefined;
    if (!title || title.type !== 'plain_text' || typeof title.text !== 'string' || !title.text) messages.push('[ERROR] must provide a plain_text object [json-pointer:/view/title]');
    else if (title.text.length > BLOCK_LIMITS.viewTitle) messages.push(`[ERROR] must be less than ${BLOCK_LIMITS.viewTitle + 1} characters [json-pointer:/view/title/text]`);
    if (blocks?.some((b) => (b as { type?: string })?.type === 'input') && !v.submit) messages.push('[ERROR] must provide submit when using input blocks [json-pointer:/view/submit]');
  }
  if (typeof v.private_metadata === 'string' && v.private_metadata.length > BLOCK_LIMITS.privateMetadata) messages.push(`[ERROR] must be less than ${BLOCK_LIMITS.privateMetadata + 1} characters [json-pointer:/view/private_metadata]`);
  if (typeof v.callback_id === 'string' && v.callback_id.length > BLOCK_LIMITS.callbackId) messages.push(`[ERROR] must be less than ${BLOCK_LIMITS.callbackId + 1} characters [json-pointer:/view/callback_id]`);
  if (blocks) {
    const problem = validateBlocks(blocks, 'view');
    if (problem) messages.push(...problem.messages.map((m) => m.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks')));
  }
  if (messages.length) throw new ApiError('invalid_form_data', { response_metadata: { messages } });
  return v;
}

export function viewJson(view: View): Record<string, unknown> {
  return {
    id: view.id,
    team_id: view.teamId,
    type: view.type,
    title: view.title,
    submit: view.submit ?? null,
    close: view.close ?? null,
    blocks: view.blocks,
    private_metadata: view.privateMetadata ?? '',
    callback_id: view.callbackId ?? '',
    external_id: view.externalId ?? '',
    state: { values: {} },
    hash: view.hash,
    clear_on_close: false,
    notify_on_close: false,
    root_view_id: view.rootViewId,
    previous_view_id: view.previousViewId ?? null,
    app_id: view.appId,
    app_installed_team_id: view.teamId,
    bot_id: view.appId,
  };
}

function storeView(ctx: MethodContext, raw: Record<string, unknown>, userId: string, base?: View): View {
  const externalId = typeof raw.external_id === 'string' ? raw.external_id : undefined;
  if (externalId && [...ctx.state.views.values()].some((x) => x.externalId === externalId && x.teamId === ctx.token.teamId && x !== base && x.open)) {
    throw new ApiError('duplicate_external_id');
  }
  const id = base?.id ?? slackId('V');
  const view: View = {
    id,
    teamId: ctx.token.teamId,
    userId,
    appId: ctx.token.appId,
    type: raw.type as 'modal' | 'home',
    title: raw.title,
    submit: raw.submit,
    close: raw.close,
    blocks: normalizeBlocks((raw.blocks as unknown[]) ?? []),
    callbackId: typeof raw.callback_id === 'string' ? raw.callback_id : undefined,
    privateMetadata: typeof raw.private_metadata === 'string' ? raw.private_metadata : undefined,
    externalId,
    hash: `${Date.now()}.${randomHex(4)}`,
    rootViewId: base?.rootViewId ?? id,
    previousViewId: base?.previousViewId,
    open: true,
    raw,
  };
  ctx.state.views.set(id, view);
  ctx.state.changed();
  return view;
}

const viewsOpen: MethodHandler = (ctx) => {
  const exchanged = ctx.services.triggers.exchange(str(ctx, 'trigger_id') ?? str(ctx, 'interactivity_pointer'), ctx.token.teamId);
  if ('error' in exchanged) throw new ApiError(exchanged.error);
  const raw = readView(ctx, 'modal');
  // A new modal replaces whatever the person had open.
  for (const v of ctx.state.views.values()) if (v.userId === exchanged.userId && v.type === 'modal') v.open = false;
  return { view: viewJson(storeView(ctx, raw, exchanged.userId)) };
};

const viewsUpdate: MethodHandler = (ctx) => {
  const viewId = str(ctx, 'view_id');
  const externalId = str(ctx, 'external_id');
  const existing = [...ctx.state.views.values()].find((v) => v.teamId === ctx.token.teamId && ((viewId && v.id === viewId) || (!viewId && externalId && v.externalId === externalId)));
  if (!existing) throw new ApiError('not_found');
  const hash = str(ctx, 'hash');
  if (hash && hash !== existing.hash) throw new ApiError('hash_conflict');
  const raw = readView(ctx, existing.type);
  return { view: viewJson(storeView(ctx, raw, existing.userId, existing)) };
};

const viewsPublish: MethodHandler = (ctx) => {
  if (ctx.token.type !== 'bot') throw new ApiError('not_allowed_token_type');
  const userId = str(ctx, 'user_id') ?? '';
  const user = ctx.state.users.get(userId);
  if (!user || user.teamId !== ctx.token.teamId) throw new ApiError('missing_profile_id');
  const raw = readView(ctx, 'home');
  const existing = [...ctx.state.views.values()].find((v) => v.userId === userId && v.type === 'home');
  const hash = str(ctx, 'hash');
  if (existing && hash && hash !== existing.hash) throw new ApiError('hash_conflict');
  return { view: viewJson(storeView(ctx, raw, userId, existing)) };
};

export const miscMethods: Record<string, MethodHandler> = {
  'auth.test': authTest,
  'pins.add': pinsAdd,
  'reactions.add': reactionsAdd,
  'bookmarks.add': bookmarksAdd,
  'views.open': viewsOpen,
  'views.update': viewsUpdate,
  'views.publish': viewsPublish,
  'oauth.v2.access': (ctx) => ctx.services.oauth.access(ctx),
};

