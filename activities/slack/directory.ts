/**
 * User and user-group lookups: turning `U0123`, `@release-managers` and
 * `alice@example.com` into Slack user IDs. Read-only, so safe to repeat.
 */
import { ApplicationFailure } from '@temporalio/common';
import { slackErrorOf, slackFailure } from '../../src/slack/errors';
import type { Integration } from '../../src/slack/integrations';
import type { SlackContext } from './context';
import { resolvePerson } from './requester';
import { USER_GROUP_ID, USER_ID } from '../../core/slack/mrkdwn';

/** Names asked for in one lookup: an incident names a handful of people. */
const MAX_NAMES = 100;

export interface ResolvedUsers {
  userIds: string[];
  failed: Array<{ user: string; error: string }>;
  /**
   * With `eachOnItsOwn`: lookups Slack did not answer but may on a retry (a 5xx,
   * a 429, the network), each with the entry it held up. Those entries are not
   * in `failed`: the caller retries for them.
   */
  unanswered?: Array<{ user: string; failure: ApplicationFailure }>;
}

type Directory = { groups: Array<{ id: string; handle: string; users?: string[] }>; people: Array<{ id: string; name: string; displayName: string; deleted: boolean }> };

async function userGroups(slack: SlackContext, integration: Integration): Promise<Directory['groups']> {
  return slack.directoryList(integration, 'usergroups', async () => {
    const res = await slack.call(integration, 'usergroups.list', 'listing user groups', (c) => c.usergroups.list({ include_users: true }));
    return (res.usergroups ?? []).map((g) => ({ id: String(g.id), handle: String(g.handle), users: g.users }));
  });
}

async function people(slack: SlackContext, integration: Integration): Promise<Directory['people']> {
  return slack.directoryList(integration, 'users', async () => {
    const out: Directory['people'] = [];
    let cursor: string | undefined;
    do {
      const res = await slack.call(integration, 'users.list', 'listing people', (c) => c.users.list({ limit: 200, cursor }));
      for (const u of res.members ?? []) out.push({ id: String(u.id), name: String(u.name ?? ''), displayName: String(u.profile?.display_name ?? ''), deleted: Boolean(u.deleted) });
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return out;
  });
}

/** The id of the user group with this handle (`@sre-team` or `sre-team`), if there is one. */
export async function userGroupId(slack: SlackContext, integration: Integration, handle: string): Promise<string | undefined> {
  const wanted = handle.replace(/^@/, '');
  return (await userGroups(slack, integration)).find((g) => g.handle === wanted)?.id;
}

export async function userGroupMembers(slack: SlackContext, integration: Integration, handle: string): Promise<string[] | undefined> {
  const wanted = handle.replace(/^@/, '');
  const group = (await userGroups(slack, integration)).find((g) => g.handle === wanted);
  if (!group) return undefined;
  if (group.users) return group.users;
  const res = await slack.call(integration, 'usergroups.users.list', `listing @${wanted}`, (c) => c.usergroups.users.list({ usergroup: group.id }));
  return res.users ?? [];
}

/** The person whose username, else display name, is `handle` (case-insensitive, as Slack's own @-completion). */
async function personNamed(slack: SlackContext, integration: Integration, handle: string): Promise<string | undefined> {
  const wanted = handle.replace(/^@/, '').toLowerCase();
  const all = (await people(slack, integration)).filter((p) => !p.deleted);
  return (all.find((p) => p.name.toLowerCase() === wanted) ?? all.find((p) => p.displayName.toLowerCase() === wanted))?.id;
}

export interface ResolveOptions {
  /**
   * Whether an `@name` that is no user group may be a person. Runbooks say `@dave` and
   * `@oncall` alike; an approver group's `userGroups` must stay groups, so a new person
   * with a deleted group's name never becomes an approver.
   * @default true
   */
  handlesMayBePeople?: boolean;
  /**
   * Resolve each entry on its own: a lookup that fails is that entry's failure
   * (`failed`, or `unanswered` when worth retrying), never the others'. Without
   * it, the first failed lookup fails the whole resolution.
   * @default false
   */
  eachOnItsOwn?: boolean;
}

/** A lookup's outcome: the value, or the failure Slack gave (mapped for Temporal). */
type Lookup<T> = { ok: true; value: T } | { ok: false; failure: ApplicationFailure };

async function attempt<T>(lookup: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { ok: true, value: await lookup() };
  } catch (err) {
    if (err instanceof ApplicationFailure) return { ok: false, failure: err };
    throw err;
  }
}

/** How a failed lookup reads beside its entry: Slack's error code (with the scope it needs), else the failure's message. */
function lookupError(f: ApplicationFailure): string {
  if (!f.type?.startsWith('Slack:')) return f.message;
  const code = f.type.slice('Slack:'.length);
  const detail = f.details?.[0] as { method?: string; needed?: string } | undefined;
  return code === 'missing_scope' && detail?.needed ? `missing_scope: ${detail.method} needs ${detail.needed}` : code;
}

/**
 * Slack user IDs for `U0123`/`W0123`, emails and `@name`s. An `@name` is the user group with
 * that handle when there is one, else the person with that username (else display name):
 * a group wins because a runbook's handles are mostly teams. When the user groups cannot be
 * listed, an `@name` is still the person of that name, if any.
 */
export async function resolveUserRefs(slack: SlackContext, integration: Integration, refs: string[], options: ResolveOptions = {}): Promise<ResolvedUsers> {
  const userIds = new Set<string>();
  const failed: ResolvedUsers['failed'] = [];
  const unanswered: NonNullable<ResolvedUsers['unanswered']> = [];
  const mayBePerson = options.handlesMayBePeople !== false;
  const lookupFailed = (user: string, failure: ApplicationFailure) => {
    if (!options.eachOnItsOwn) throw failure;
    if (failure.nonRetryable) failed.push({ user, error: lookupError(failure) });
    else unanswered.push({ user, failure });
  };
  for (const raw of refs) {
    const ref = raw.trim();
    if (USER_ID.test(ref)) userIds.add(ref);
    else if (ref.includes('@') && !ref.startsWith('@')) {
      try {
        const res = await integration.client.users.lookupByEmail({ email: ref });
        if (res.user?.id) userIds.add(res.user.id);
      } catch (err) {
        if (slackErrorOf(err) === 'users_not_found') failed.push({ user: ref, error: 'users_not_found' });
        else lookupFailed(ref, slackFailure(err, { method: 'users.lookupByEmail', integration: integration.name, doing: `looking up ${ref}` }));
      }
    } else {
      const group = await attempt(() => userGroupMembers(slack, integration, ref));
      if (group.ok && group.value) {
        group.value.forEach((m) => userIds.add(m));
        continue;
      }
      if (!group.ok && !options.eachOnItsOwn) throw group.failure;
      const person = mayBePerson ? await attempt(() => personNamed(slack, integration, ref)) : undefined;
      if (person?.ok && person.value) {
        userIds.add(person.value);
        continue;
      }
      const handle = `@${ref.replace(/^@/, '')}`;
      // What kept this entry from resolving: the group lookup's failure first, then the person's.
      const cause = !group.ok ? group.failure : person && !person.ok ? person.failure : undefined;
      if (cause) lookupFailed(ref, cause);
      else failed.push({ user: ref, error: mayBePerson ? `no user or user group is named ${handle}` : `no user group is named ${handle}` });
    }
  }
  return { userIds: [...userIds], failed, ...(options.eachOnItsOwn ? { unanswered } : {}) };
}

export function createDirectoryActivities(slack: SlackContext) {
  return {
    /** Resolves user IDs, emails and @user-group handles to user IDs. */
    async resolveUsers(input: { integration: string; users: string[] }): Promise<ResolvedUsers> {
      const integration = await slack.integration(input.integration);
      return resolveUserRefs(slack, integration, input.users);
    },

    /**
     * The owner of an action item: the user group with that handle (runbooks name
     * teams as owners: `@sre-team`), else exactly one person (user id, mention,
     * email or handle). `why` names the value when neither matches.
     */
    async resolveOwner(input: { integration: string; owner: string }): Promise<{ ok: true; id: string } | { ok: false; why: string }> {
      const integration = await slack.integration(input.integration);
      const value = input.owner.trim();
      const handle = /^@?[a-z0-9][a-z0-9._-]{0,79}$/.test(value);
      if (handle) {
        const group = await userGroupId(slack, integration, value);
        if (group) return { ok: true, id: group };
      }
      const person = await resolvePerson(slack, integration, input.owner, { field: 'Owner', role: 'the owner' });
      if (person.ok) return { ok: true, id: person.userId };
      return { ok: false, why: handle && person.why.endsWith('matches no Slack user') ? `${person.why} or user group` : person.why };
    },

    /**
     * What people read for each id, for the postmortem outside Slack: a
     * person's real name (else their display name, else handle), a user
     * group's `@handle`. Ids Slack does not know are left out. Read-only.
     */
    async namesOf(input: { integration: string; ids: string[] }): Promise<Record<string, string>> {
      const integration = await slack.integration(input.integration);
      const ids = [...new Set(input.ids)].slice(0, MAX_NAMES);
      const groups = ids.some((id) => USER_GROUP_ID.test(id)) ? await userGroups(slack, integration) : [];
      const names: Record<string, string> = {};
      for (const id of ids) {
        if (USER_GROUP_ID.test(id)) {
          const group = groups.find((g) => g.id === id);
          if (group) names[id] = `@${group.handle}`;
          continue;
        }
        if (!USER_ID.test(id)) continue;
        try {
          const { user } = await integration.client.users.info({ user: id });
          const name = user?.real_name || user?.profile?.real_name || user?.profile?.display_name || user?.name;
          if (name) names[id] = name;
        } catch (err) {
          if (slackErrorOf(err) === 'user_not_found') continue;
          throw slackFailure(err, { method: 'users.info', integration: integration.name, doing: `looking up the name of ${id}` });
        }
      }
      return names;
    },

    async lookupUser(input: { integration: string; user: string }): Promise<{ id: string; name: string; realName?: string; email?: string }> {
      const integration = await slack.integration(input.integration);
      const res = await slack.call(integration, 'users.info', `looking up ${input.user}`, (c) => c.users.info({ user: input.user }));
      return { id: String(res.user?.id), name: String(res.user?.name), realName: res.user?.real_name, email: res.user?.profile?.email };
    },
  };
}
