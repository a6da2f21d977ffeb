/** pins.add: a message pinned to its channel. */
import { ApiError } from '../api-error';
import { channelArg, str, type MethodHandler } from '../method-context';

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

export const pinMethods: Record<string, MethodHandler> = { 'pins.add': pinsAdd };
