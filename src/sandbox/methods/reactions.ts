/** reactions.add: an emoji reaction on a message. */
import { ApiError } from '../api-error';
import { channelArg, str, type MethodHandler } from '../method-context';
import { validEmojiName } from '../rules';

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

export const reactionMethods: Record<string, MethodHandler> = { 'reactions.add': reactionsAdd };
