/** Issuing tokens: bot tokens act as the workspace's app bot user, user tokens as a person. */
import { tokenFor } from './ids';
import { SANDBOX_APP_ID, type SandboxState, type TokenInfo } from './state';

export interface TokenSpec {
  /** @default the sandbox's default workspace */
  teamId: string;
  scopes: string[];
  /** @default 'bot' */
  type?: 'bot' | 'user';
  /** For user tokens: who acts (id or name). @default the workspace's first person */
  userId?: string;
  /** Use this exact token string (e.g. a stable token for the demo). */
  token?: string;
}

export function issueToken(state: SandboxState, spec: TokenSpec): TokenInfo {
  const team = state.team(spec.teamId);
  const type = spec.type ?? 'bot';
  let userId = team.botUserId;
  if (type === 'user') {
    userId = spec.userId ? state.resolveUserId(team.id, spec.userId) : [...state.users.values()].find((u) => u.teamId === team.id && !u.isBot)?.id ?? '';
    if (!userId) throw new Error(`workspace ${team.id} has no person to own a user token`);
  }
  const info: TokenInfo = {
    token: spec.token ?? tokenFor(type, team.id),
    teamId: team.id,
    type,
    userId,
    botId: type === 'bot' ? team.botId : undefined,
    appId: SANDBOX_APP_ID,
    scopes: [...new Set(spec.scopes)],
  };
  state.tokens.set(info.token, info);
  return info;
}
