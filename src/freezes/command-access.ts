/**
 * Who may create and end freezes from Slack (`/signalroom freeze create|end`):
 * members of the approver groups `deploys.freezeGroups` names, resolved as
 * the incident responder groups are (src/incidents/command-access.ts): their
 * users, emails and Slack user groups, through the organization's Slack,
 * kept a minute. Listing is open to anyone the command answers (SECURITY.md,
 * "Freezes are bounded, and made by freeze groups").
 */
import { SlackContext } from '../../activities/slack/context';
import { resolveUserRefs } from '../../activities/slack/directory';
import type { SignalroomConfig } from '../config/schema';
import { ownEntry } from '../config/own';
import { ORGANIZATION, type IntegrationRegistry } from '../slack/integrations';
import type { CommandAccess } from '../incidents/command-access';

export type FreezeVerb = 'create' | 'end';

/** Decides whether `userId` may `verb` freezes from Slack. */
export type FreezeAuthorizer = (request: { userId: string; verb: FreezeVerb }) => Promise<CommandAccess>;

/** Memberships change rarely, and the command must answer within Slack's 3 seconds. */
const MEMBERS_CACHE_MS = 60_000;

export function freezeGroupAccess(deps: { config: SignalroomConfig; integrations: IntegrationRegistry }): FreezeAuthorizer {
  const groups = deps.config.deploys.freezeGroups;
  const slack = new SlackContext({ integrations: deps.integrations });
  let cached: { at: number; members: Promise<Set<string>> } | undefined;
  const members = () => {
    if (cached && Date.now() - cached.at < MEMBERS_CACHE_MS) return cached.members;
    const loading = (async () => {
      const integration = await slack.integration(ORGANIZATION);
      const refs = groups.flatMap((name) => {
        const g = ownEntry(deps.config.approverGroups, name);
        return g ? [...g.users, ...g.emails, ...g.userGroups] : [];
      });
      return new Set((await resolveUserRefs(slack, integration, refs)).userIds);
    })();
    cached = { at: Date.now(), members: loading };
    loading.catch(() => {
      if (cached?.members === loading) cached = undefined;
    });
    return loading;
  };
  return async ({ userId, verb }) => {
    if (!groups.length) return { ok: false, why: `no freeze groups are configured (deploys.freezeGroups), so nobody may ${verb} freezes from Slack` };
    if ((await members()).has(userId)) return { ok: true };
    return { ok: false, why: `only a member of ${groups.join(', ')} may ${verb} freezes from Slack` };
  };
}

/** Nobody may create or end freezes from Slack: the server was started without a way to check. */
export const refuseFreezeWrites: FreezeAuthorizer = async ({ verb }) => ({ ok: false, why: `this server does not accept freezes from Slack (${verb}): configure deploys.freezeGroups` });
