/** views.open, views.update and views.publish: modals and Home tabs, kept by the one view store. */
import { ApiError } from '../api-error';
import { jsonArg, str, type MethodContext, type MethodHandler } from '../method-context';
import { viewJson } from '../serialize';

/** The `view` argument; a body that is not JSON is refused as Slack refuses a view that is not an object. */
function viewArg(ctx: MethodContext): unknown {
  const parsed = jsonArg(ctx, 'view');
  return parsed.malformed ? undefined : parsed.value;
}

const viewsOpen: MethodHandler = (ctx) => {
  const exchanged = ctx.services.triggers.exchange(str(ctx, 'trigger_id') ?? str(ctx, 'interactivity_pointer'), ctx.token.teamId);
  if ('error' in exchanged) throw new ApiError(exchanged.error);
  const view = ctx.services.views.open({ teamId: ctx.token.teamId, userId: exchanged.userId, appId: ctx.token.appId }, viewArg(ctx));
  return { view: viewJson(view) };
};

const viewsUpdate: MethodHandler = (ctx) => {
  const existing = ctx.services.views.find(ctx.token.teamId, { viewId: str(ctx, 'view_id'), externalId: str(ctx, 'external_id') });
  if (!existing) throw new ApiError('not_found');
  const hash = str(ctx, 'hash');
  if (hash && hash !== existing.hash) throw new ApiError('hash_conflict');
  return { view: viewJson(ctx.services.views.update(existing, viewArg(ctx))) };
};

const viewsPublish: MethodHandler = (ctx) => {
  if (ctx.token.type !== 'bot') throw new ApiError('not_allowed_token_type');
  const userId = str(ctx, 'user_id') ?? '';
  const user = ctx.state.users.get(userId);
  if (!user || user.teamId !== ctx.token.teamId) throw new ApiError('missing_profile_id');
  const existing = ctx.services.views.home(userId);
  const hash = str(ctx, 'hash');
  if (existing && hash && hash !== existing.hash) throw new ApiError('hash_conflict');
  return { view: viewJson(ctx.services.views.publish({ teamId: ctx.token.teamId, userId, appId: ctx.token.appId }, viewArg(ctx))) };
};

export const viewMethods: Record<string, MethodHandler> = {
  'views.open': viewsOpen,
  'views.update': viewsUpdate,
  'views.publish': viewsPublish,
};
