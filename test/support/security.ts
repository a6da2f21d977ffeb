/**
 * What an attacker faces: the shared server stack (sandbox Slack, worker,
 * the real HTTP server as the sandbox's Request URL) with a second Slack app,
 * a project connector with its own signing secret, app id and workspace; and
 * a way to send Slack requests signed with any secret (`slackPost`).
 */
import { SANDBOX_APP_ID } from '../../src/sandbox/state';
import { serverStack, type ServerStack } from './server-stack';

export const CHANNEL = 'C0DEPLOYS';
export const CONNECTOR_SECRET = 'connector-signing-secret-0123456789ab';
export const CONNECTOR_APP_ID = 'A0PAYMENTS';
export const CONNECTOR_TEAM_ID = 'T0PAYMENTS';

export type SecurityStack = ServerStack;

export interface SecurityStackOptions {
  /** Merged over the defaults: approver groups `release` and `sre`, the organization app and the `payments` connector. */
  config?: Record<string, unknown>;
  /** The server's API tokens (`api.tokens` of the configuration). */
  apiTokens?: Array<{ name: string; token: string; permissions?: string[]; slackUser?: string }>;
  /** A namespace of the file's own (`isolatedNamespace`). @default the run's shared one */
  namespace?: string;
}

export function securityStack(options: SecurityStackOptions = {}): Promise<SecurityStack> {
  const raw = options.config ?? {};
  return serverStack((sandbox) => ({
    approverGroups: { release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } },
    ...raw,
    ...(options.apiTokens ? { api: { tokens: options.apiTokens } } : {}),
    slack: {
      organization: { appId: SANDBOX_APP_ID, teamId: 'T0SANDBOX' },
      connectors: { payments: { botToken: sandbox.botToken, signingSecret: CONNECTOR_SECRET, appId: CONNECTOR_APP_ID, teamId: CONNECTOR_TEAM_ID, apiUrl: sandbox.apiUrl } },
      ...(raw.slack as object | undefined),
    },
  }), { namespace: options.namespace });
}

/** A block_actions payload as Slack sends it, for a button on `messageTs` in `channel`. */
export function clickPayload(o: { userId: string; teamId?: string; appId?: string; channel?: string; messageTs: string; actionId: string; value: string; responseUrl: string }) {
  const team = o.teamId ?? 'T0SANDBOX';
  return {
    type: 'block_actions',
    user: { id: o.userId, username: o.userId.toLowerCase(), name: o.userId.toLowerCase(), team_id: team },
    api_app_id: o.appId ?? SANDBOX_APP_ID,
    token: 'unused',
    container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel ?? CHANNEL, is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: team, domain: 'x' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: o.channel ?? CHANNEL, name: 'deploys' },
    response_url: o.responseUrl,
    actions: [{ type: 'button', action_id: o.actionId, block_id: 'b', value: o.value, action_ts: `${Date.now() / 1000}` }],
  };
}

export const formOf = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;

export { eventually } from './eventually';
