/** bookmarks.add: a link bookmarked in a channel's header. */
import { ApiError } from '../api-error';
import { slackId } from '../ids';
import { channelArg, str, type MethodHandler } from '../method-context';
import { validEmojiName } from '../rules';

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

export const bookmarkMethods: Record<string, MethodHandler> = { 'bookmarks.add': bookmarksAdd };
