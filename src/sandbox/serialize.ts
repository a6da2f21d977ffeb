/** The JSON shapes Slack answers with: conversations, messages, users, user groups, views. */
import type { Channel, Message, SandboxState, TokenInfo, User, UserGroup, View } from './state';
import { SANDBOX_APP_ID } from './state';

export function conversationJson(state: SandboxState, c: Channel, viewer?: TokenInfo, opts: { numMembers?: boolean } = {}): Record<string, unknown> {
  if (c.isIm) {
    return { id: c.id, created: c.created, is_im: true, is_org_shared: false, user: c.imUser, is_user_deleted: false, priority: 0, context_team_id: c.teamId };
  }
  const out: Record<string, unknown> = {
    id: c.id,
    name: c.name,
    is_channel: !c.isPrivate,
    is_group: c.isPrivate,
    is_im: false,
    is_mpim: false,
    is_private: c.isPrivate,
    created: c.created,
    is_archived: c.archived,
    is_general: c.isGeneral,
    unlinked: 0,
    name_normalized: c.name,
    is_shared: c.sharedTeamIds.length > 0,
    is_org_shared: c.sharedTeamIds.length > 0,
    is_pending_ext_shared: false,
    pending_shared: [],
    context_team_id: c.teamId,
    updated: c.created * 1000,
    parent_conversation: null,
    creator: c.creator,
    is_ext_shared: false,
    shared_team_ids: [c.teamId, ...c.sharedTeamIds],
    pending_connected_team_ids: [],
    topic: c.topic,
    purpose: c.purpose,
    previous_names: [],
  };
  if (viewer) out.is_member = c.members.has(viewer.userId);
  if (opts.numMembers) out.num_members = c.members.size;
  void state;
  const canvas = [...state.canvases.values()].find((x) => x.channelId === c.id);
  if (canvas) out.properties = { ...(out.properties as object | undefined), canvas: { file_id: canvas.id, is_empty: canvas.markdown.length === 0 } };
  return out;
}

export function messageJson(state: SandboxState, channel: Channel, m: Message, opts: { includeMetadata?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'message', ts: m.ts, user: m.user, text: m.text, team: m.teamId };
  if (m.subtype) Object.assign(out, { subtype: m.subtype, ...m.systemFields });
  if (m.botId) {
    out.bot_id = m.botId;
    out.app_id = m.appId ?? SANDBOX_APP_ID;
    const botUser = state.users.get(m.user);
    out.bot_profile = { id: m.botId, app_id: m.appId ?? SANDBOX_APP_ID, name: m.username ?? botUser?.name ?? 'signalroom', deleted: false, team_id: m.teamId };
  }
  if (m.username) out.username = m.username;
  if (m.iconEmoji) out.icons = { emoji: m.iconEmoji };
  if (m.blocks) out.blocks = m.blocks;
  if (m.attachments) out.attachments = m.attachments;
  if (m.files?.length) {
    out.upload = true;
    out.files = m.files.map((id) => {
      const f = state.files.get(id);
      return { id, name: f?.name, title: f?.title ?? f?.name, size: f?.content?.length ?? 0, user: f?.user, created: f?.created };
    });
  }
  if (m.edited) out.edited = m.edited;
  if (m.reactions.length) out.reactions = m.reactions.map((r) => ({ name: r.name, users: r.users, count: r.users.length }));
  if (m.metadata && opts.includeMetadata) out.metadata = m.metadata;
  if (channel.pins.has(m.ts)) out.pinned_to = [channel.id];
  if (m.threadTs) {
    out.thread_ts = m.threadTs;
    if (m.threadTs !== m.ts) {
      out.parent_user_id = channel.messages.find((p) => p.ts === m.threadTs)?.user;
      if (m.replyBroadcast) out.subtype = 'thread_broadcast';
    }
  }
  const replies = state.replies(channel, m.ts);
  if (!m.threadTs || m.threadTs === m.ts) {
    if (replies.length) {
      out.thread_ts = m.ts;
      out.reply_count = replies.length;
      out.reply_users = [...new Set(replies.map((r) => r.user))];
      out.reply_users_count = (out.reply_users as string[]).length;
      out.latest_reply = replies[replies.length - 1]!.ts;
      out.is_locked = false;
      out.subscribed = false;
    }
  }
  return out;
}

export function userJson(u: User, viewer: TokenInfo): Record<string, unknown> {
  const showEmail = viewer.scopes.includes('users:read.email');
  const profile: Record<string, unknown> = {
    real_name: u.realName,
    real_name_normalized: u.realName,
    display_name: u.name,
    display_name_normalized: u.name,
    team: u.teamId,
    title: '',
    status_text: '',
    status_emoji: '',
    image_48: '',
  };
  if (showEmail && u.email) profile.email = u.email;
  if (u.isBot) {
    profile.bot_id = u.botId;
    profile.api_app_id = SANDBOX_APP_ID;
    profile.always_active = true;
  }
  return {
    id: u.id,
    team_id: u.teamId,
    name: u.name,
    deleted: u.deleted ?? false,
    color: '9f69e7',
    real_name: u.realName,
    tz: 'Europe/London',
    tz_label: 'Greenwich Mean Time',
    tz_offset: 0,
    profile,
    is_admin: u.isAdmin ?? false,
    is_owner: false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: u.isBot,
    is_app_user: false,
    updated: 1700000000,
  };
}

export function userGroupJson(g: UserGroup, opts: { includeUsers?: boolean; includeCount?: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: g.id,
    team_id: g.teamId,
    is_usergroup: true,
    is_subteam: true,
    name: g.name,
    description: g.description,
    handle: g.handle,
    is_external: false,
    date_create: g.created,
    date_update: g.created,
    date_delete: g.disabled ? g.created : 0,
    auto_type: null,
    auto_provision: false,
    enterprise_subteam_id: '',
    created_by: '',
    updated_by: '',
    deleted_by: null,
    prefs: { channels: [], groups: [] },
  };
  if (opts.includeUsers) out.users = [...g.users];
  if (opts.includeCount) out.user_count = g.users.length;
  return out;
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
    bot_id: view.botId,
  };
}
