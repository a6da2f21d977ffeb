/** users.* and usergroups.*: the workspace's people and their groups. */
import { ApiError } from '../api-error';
import { bool, paginate, str, userArg, type MethodHandler } from '../method-context';
import { userGroupJson, userJson } from '../serialize';

const usersList: MethodHandler = (ctx) => {
  const all = [...ctx.state.users.values()].filter((u) => u.teamId === ctx.token.teamId);
  const { page, nextCursor } = paginate(ctx, all, 0);
  return { members: page.map((u) => userJson(u, ctx.token)), cache_ts: ctx.state.nowSeconds(), response_metadata: { next_cursor: nextCursor } };
};

const usersInfo: MethodHandler = (ctx) => ({ user: userJson(userArg(ctx, 'user', 'user_not_found'), ctx.token) });

const lookupByEmail: MethodHandler = (ctx) => {
  const email = (str(ctx, 'email') ?? '').toLowerCase();
  const user = [...ctx.state.users.values()].find((u) => u.teamId === ctx.token.teamId && u.email?.toLowerCase() === email && !u.deleted);
  if (!user) throw new ApiError('users_not_found');
  return { user: userJson(user, ctx.token) };
};

function teamOf(ctx: Parameters<MethodHandler>[0]): string {
  const teamId = str(ctx, 'team_id');
  if (teamId && teamId !== ctx.token.teamId) throw new ApiError(ctx.method === 'usergroups.list' ? 'invalid_team' : 'no_such_subteam');
  return ctx.token.teamId;
}

const groupsList: MethodHandler = (ctx) => {
  const teamId = teamOf(ctx);
  const includeDisabled = bool(ctx, 'include_disabled');
  const groups = [...ctx.state.groups.values()].filter((g) => g.teamId === teamId && (includeDisabled || !g.disabled));
  return { usergroups: groups.map((g) => userGroupJson(g, { includeUsers: bool(ctx, 'include_users'), includeCount: bool(ctx, 'include_count') })) };
};

const groupUsers: MethodHandler = (ctx) => {
  const teamId = teamOf(ctx);
  const group = ctx.state.groups.get(str(ctx, 'usergroup') ?? '');
  if (!group || group.teamId !== teamId || (group.disabled && !bool(ctx, 'include_disabled'))) throw new ApiError('no_such_subteam');
  return { users: [...group.users] };
};

export const directoryMethods: Record<string, MethodHandler> = {
  'users.list': usersList,
  'users.info': usersInfo,
  'users.lookupByEmail': lookupByEmail,
  'usergroups.list': groupsList,
  'usergroups.users.list': groupUsers,
};
