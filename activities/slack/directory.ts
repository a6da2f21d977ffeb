/**
 * User and user-group lookups: turning `U0123`, `@release-managers` and
 * `alice@example.com` into Slack user IDs. Read-only, so safe to repeat.
 */
import { slackErrorOf, slackFailure } from '../../src/slack/errors';
import type { Integration } from '../../src/slack/integrations';
import type { SlackContext } from './context';

export interface ResolvedUsers {
  userIds: string[];
  failed: Array<{ user: string; error: string }>;
}

export async function userGroupMembers(slack: SlackContext, integration: Integration, handle: string): Promise<string[] | undefined> {
  const wanted = handle.replace(/^@/, '');
  const groups = await slack.call(integration, 'usergroups.list', `looking up @${wanted}`, (c) => c.usergroups.list({ include_users: true }));
  const group = groups.usergroups?.find((g) => g.handle === wanted);
  if (!group) return undefined;
  if (group.users) return group.users;
  const res = await slack.call(integration, 'usergroups.users.list', `listing @${wanted}`, (c) => c.usergroups.users.list({ usergroup: String(group.id) }));
  return res.users ?? [];
}

export async function resolveUserRefs(slack: SlackContext, integration: Integration, refs: string[]): Promise<ResolvedUsers> {
  const userIds = new Set<string>();
  const failed: ResolvedUsers['failed'] = [];
  for (const raw of refs) {
    const ref = raw.trim();
    if (/^[UW][A-Z0-9]{2,}$/.test(ref)) userIds.add(ref);
    else if (ref.includes('@') && !ref.startsWith('@')) {
      try {
        const res = await integration.client.users.lookupByEmail({ email: ref });
        if (res.user?.id) userIds.add(res.user.id);
      } catch (err) {
        if (slackErrorOf(err) === 'users_not_found') failed.push({ user: ref, error: 'users_not_found' });
        else throw slackFailure(err, { method: 'users.lookupByEmail', integration: integration.name, doing: `looking up ${ref}` });
      }
    } else {
      const members = await userGroupMembers(slack, integration, ref);
      if (!members) failed.push({ user: ref, error: 'no_such_user_group' });
      else members.forEach((m) => userIds.add(m));
    }
  }
  return { userIds: [...userIds], failed };
}

export function createDirectoryActivities(slack: SlackContext) {
  return {
    /** Resolves user IDs, emails and @user-group handles to user IDs. */
    async resolveUsers(input: { integration: string; users: string[] }): Promise<ResolvedUsers> {
      const integration = await slack.integration(input.integration);
      return resolveUserRefs(slack, integration, input.users);
    },

    async lookupUser(input: { integration: string; user: string }): Promise<{ id: string; name: string; realName?: string; email?: string }> {
      const integration = await slack.integration(input.integration);
      const res = await slack.call(integration, 'users.info', `looking up ${input.user}`, (c) => c.users.info({ user: input.user }));
      return { id: String(res.user?.id), name: String(res.user?.name), realName: res.user?.real_name, email: res.user?.profile?.email };
    },
  };
}
