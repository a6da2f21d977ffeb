/**
 * The bot scopes Signalroom asks for, and why. The source document's
 * minimum (channels:manage, chat:write, groups:write, im:write) plus what the
 * runbook and approval activities call.
 */
export const BOT_SCOPES: Record<string, string> = {
  'channels:manage': 'create and archive public incident channels',
  'groups:write': 'create and archive private incident channels',
  'im:write': 'message people directly',
  'chat:write': 'post and update notifications and approval requests',
  'chat:write.public': 'post into public channels the bot has not joined',
  'channels:read': 'find channels by name',
  'groups:read': 'find private channels by name',
  'channels:history': 'find a message an earlier attempt posted (no duplicates on retry)',
  'groups:history': 'the same in private channels',
  'channels:join': 'join public channels it posts to',
  'pins:write': 'pin incident summaries',
  'bookmarks:write': 'bookmark dashboards in incident channels',
  'files:write': 'upload dashboard graphs and files (Upload File steps)',
  'canvases:write': 'write the postmortem canvas of an incident channel (Create Postmortem steps)',
  'users:read': 'show who approved or updated',
  'users:read.email': 'invite and authorize people by email',
  'usergroups:read': 'resolve @user-group handles of on-call and approvers',
  commands: 'the /signalroom slash command',
};

/** What a bot may not run without: the source document's list. */
export const REQUIRED_BOT_SCOPES = ['channels:manage', 'chat:write', 'groups:write', 'im:write'];

/** Extra scopes needed when a connector customizes the bot's name or icon. */
export const CUSTOMIZE_SCOPE = 'chat:write.customize';
