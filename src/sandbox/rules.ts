/**
 * Slack's rules that catch real bugs: channel names, text lengths, who may
 * see and post into a conversation. Each answers with the error code Slack
 * uses, or undefined when the call may go on.
 */
import type { Channel, SandboxState, TokenInfo } from './state';

export const MAX_CHANNEL_NAME_LENGTH = 80;
/** chat.postMessage truncates longer text; the other chat methods refuse it. */
export const MAX_MESSAGE_TEXT = 40_000;
export const MAX_TOPIC_LENGTH = 250;
export const MAX_PURPOSE_LENGTH = 250;

/** conversations.create's name errors, in the order Slack checks them. */
export function channelNameError(name: string): string | undefined {
  if (name.length === 0) return 'invalid_name_required';
  if (name.length > MAX_CHANNEL_NAME_LENGTH) return 'invalid_name_maxlength';
  if (!/^[a-z0-9_-]+$/.test(name)) return 'invalid_name_specials';
  if (/^[-_]+$/.test(name)) return 'invalid_name_punctuation';
  return undefined;
}

/** True when the name is taken in the workspace, archived channels included. */
export function channelNameTaken(state: SandboxState, teamId: string, name: string): boolean {
  return [...state.channels.values()].some((c) => c.teamId === teamId && !c.isIm && c.name === name);
}

/** Can the token's user see the conversation at all? Private ones only by members. */
export function canSee(channel: Channel, token: TokenInfo): boolean {
  if (channel.teamId !== token.teamId) return false;
  if (!channel.isPrivate) return true;
  return channel.members.has(token.userId);
}

/**
 * Why a post into `channel` is refused, or undefined. Members may post;
 * a bot with chat:write.public may post into public channels it has not joined.
 */
export function postRefusal(channel: Channel, token: TokenInfo): 'channel_not_found' | 'not_in_channel' | 'is_archived' | undefined {
  if (!canSee(channel, token)) return 'channel_not_found';
  if (channel.archived) return 'is_archived';
  if (channel.members.has(token.userId)) return undefined;
  if (!channel.isPrivate && token.type === 'bot' && token.scopes.includes('chat:write.public')) return undefined;
  return 'not_in_channel';
}

/** The scope a channel operation needs, by conversation type and token type. Any one listed suffices. */
export type ChannelOperation = 'read' | 'history' | 'manage' | 'invite' | 'topic' | 'join';

const CHANNEL_SCOPES: Record<ChannelOperation, Record<'public' | 'private' | 'im', { bot: string[]; user: string[] }>> = {
  read: { public: { bot: ['channels:read'], user: ['channels:read'] }, private: { bot: ['groups:read'], user: ['groups:read'] }, im: { bot: ['im:read'], user: ['im:read'] } },
  history: { public: { bot: ['channels:history'], user: ['channels:history'] }, private: { bot: ['groups:history'], user: ['groups:history'] }, im: { bot: ['im:history'], user: ['im:history'] } },
  manage: { public: { bot: ['channels:manage'], user: ['channels:write'] }, private: { bot: ['groups:write'], user: ['groups:write'] }, im: { bot: ['im:write'], user: ['im:write'] } },
  invite: {
    public: { bot: ['channels:manage', 'channels:write.invites'], user: ['channels:write', 'channels:write.invites'] },
    private: { bot: ['groups:write', 'groups:write.invites'], user: ['groups:write', 'groups:write.invites'] },
    im: { bot: ['im:write'], user: ['im:write'] },
  },
  topic: {
    public: { bot: ['channels:manage', 'channels:write.topic'], user: ['channels:write', 'channels:write.topic'] },
    private: { bot: ['groups:write', 'groups:write.topic'], user: ['groups:write', 'groups:write.topic'] },
    im: { bot: ['im:write', 'im:write.topic'], user: ['im:write', 'im:write.topic'] },
  },
  join: { public: { bot: ['channels:join'], user: ['channels:write'] }, private: { bot: ['groups:write'], user: ['groups:write'] }, im: { bot: ['im:write'], user: ['im:write'] } },
};

export function channelKind(channel: Pick<Channel, 'isIm' | 'isPrivate'>): 'public' | 'private' | 'im' {
  return channel.isIm ? 'im' : channel.isPrivate ? 'private' : 'public';
}

/** The scopes that would allow `op` on this kind of channel, when the token has none of them. */
export function missingChannelScope(op: ChannelOperation, kind: 'public' | 'private' | 'im', token: TokenInfo): string[] | undefined {
  const needed = CHANNEL_SCOPES[op][kind][token.type];
  return needed.some((s) => token.scopes.includes(s)) ? undefined : needed;
}

/** Emoji names for reactions: lowercase letters, digits, `_`, `+`, `-`, and skin-tone suffixes. */
export function validEmojiName(name: string): boolean {
  return /^[a-z0-9_+'-]+(::skin-tone-[2-6])?$/.test(name.replace(/^:|:$/g, ''));
}
