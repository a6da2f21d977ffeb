/**
 * One person, however they were named: a Slack user id, a mention
 * (`<@U0123>`), an email or a handle (`carol`, `@carol`). It must be exactly
 * one Slack user: anything else (a lower-cased id, an invisible character, a
 * name two people share) is refused. Used for the requester of an approval
 * (one who cannot be matched could approve their own run) and the owner of
 * an action item.
 */
import type { UsersListResponse } from '@slack/web-api';
import { slackErrorOf, slackFailure } from '../../src/slack/errors';
import type { Integration } from '../../src/slack/integrations';
import type { SlackContext } from './context';
import { USER_ID, USER_MENTION as MENTION } from '../../core/slack/mrkdwn';

export type RequesterResolution = { ok: true; userId: string } | { ok: false; why: string };

const HANDLE = /^@?([a-z0-9][a-z0-9._-]{0,79})$/;

/** How the value is named in messages: its field, and the person it names. */
export interface PersonField {
  field: string;
  role: string;
}

const REQUESTER: PersonField = { field: 'requestedBy', role: 'the requester' };

export function resolveRequester(slack: SlackContext, integration: Integration, raw: string): Promise<RequesterResolution> {
  return resolvePerson(slack, integration, raw, REQUESTER);
}

export async function resolvePerson(slack: SlackContext, integration: Integration, raw: string, { field, role }: PersonField): Promise<RequesterResolution> {
  const value = raw.trim();
  const id = MENTION.exec(value)?.[1] ?? (USER_ID.test(value) ? value : undefined);
  if (id) {
    try {
      const res = await integration.client.users.info({ user: id });
      if (res.user?.deleted) return { ok: false, why: `${field} "${raw}" is a deactivated Slack user` };
      return { ok: true, userId: id };
    } catch (err) {
      if (slackErrorOf(err) === 'user_not_found') return { ok: false, why: `${field} "${raw}" is not a Slack user in ${integration.name}'s workspace` };
      throw slackFailure(err, { method: 'users.info', integration: integration.name, doing: `looking up ${role} ${value}` });
    }
  }
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    try {
      const res = await integration.client.users.lookupByEmail({ email: value });
      if (res.user?.id) return { ok: true, userId: res.user.id };
    } catch (err) {
      if (slackErrorOf(err) !== 'users_not_found') throw slackFailure(err, { method: 'users.lookupByEmail', integration: integration.name, doing: `looking up ${role} ${value}` });
    }
    return { ok: false, why: `${field} "${raw}" is not the email of a Slack user` };
  }
  const handle = HANDLE.exec(value)?.[1];
  if (!handle) return { ok: false, why: `${field} "${raw}" is not a Slack user id, mention, email or handle` };
  const matches = new Set<string>();
  let cursor: string | undefined;
  do {
    const page: UsersListResponse = await slack.call(integration, 'users.list', `looking up ${role} @${handle}`, (c) => c.users.list({ limit: 200, cursor }));
    for (const u of page.members ?? []) {
      if (u.deleted || u.is_bot || !u.id) continue;
      if (u.name === handle || u.profile?.display_name_normalized?.toLowerCase() === handle) matches.add(u.id);
    }
    cursor = page.response_metadata?.next_cursor || undefined;
  } while (cursor);
  if (matches.size === 1) return { ok: true, userId: [...matches][0] };
  if (matches.size === 0) return { ok: false, why: `${field} "${raw}" matches no Slack user` };
  return { ok: false, why: `${field} "${raw}" matches ${matches.size} Slack users: name them by id or email` };
}
