/** auth.test: who the token is, in which workspace. */
import type { MethodHandler } from '../method-context';

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
  // A workspace of an Enterprise Grid organization names it; the app is installed per workspace, not org-wide.
  if (team.enterpriseId) out.enterprise_id = team.enterpriseId;
  if (ctx.token.type === 'bot') out.bot_id = ctx.token.botId;
  return out;
};

export const authMethods: Record<string, MethodHandler> = { 'auth.test': authTest };
