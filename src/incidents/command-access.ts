/**
 * Who may change an incident from the /signalroom slash command. Reading
 * (status, help, approvals) is open to anyone the signature vouches for;
 * opening needs membership of a configured responder group
 * (`incidents.responderGroups`); updating, changing the severity or resolving
 * (which archives the channel) needs a responder group or membership of the
 * incident's own channel.
 */
import { SlackContext } from '../../activities/slack/context';
import { resolveUserRefs } from '../../activities/slack/directory';
import type { SignalroomConfig } from '../config/schema';
import { ownEntry } from '../config/own';
import { ORGANIZATION, type IntegrationRegistry } from '../slack/integrations';
import type { IncidentService } from './service';

export type CommandVerb = 'open' | 'update' | 'severity' | 'resolve' | (string & {});

export type CommandAccess = { ok: true } | { ok: false; why: string };

/** Decides whether `userId` may run `verb` on the incident `incidentId` (absent for `open`). */
export type CommandAuthorizer = (request: { userId: string; verb: CommandVerb; incidentId?: string }) => Promise<CommandAccess>;

/** Memberships change rarely, and the command must answer within Slack's 3 seconds. */
const MEMBERS_CACHE_MS = 60_000;

export function responderAccess(deps: { config: SignalroomConfig; integrations: IntegrationRegistry; incidents: IncidentService }): CommandAuthorizer {
  const slack = new SlackContext({ integrations: deps.integrations });
  const cache = new Map<string, { at: number; members: Promise<Set<string>> }>();
  const remembered = (key: string, load: () => Promise<Set<string>>): Promise<Set<string>> => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < MEMBERS_CACHE_MS) return hit.members;
    const members = load();
    cache.set(key, { at: Date.now(), members });
    members.catch(() => cache.delete(key));
    return members;
  };

  const groups = deps.config.incidents.responderGroups;
  const responders = () =>
    remembered('responders', async () => {
      const integration = await slack.integration(ORGANIZATION);
      const refs = groups.flatMap((name) => {
        const g = ownEntry(deps.config.approverGroups, name);
        return g ? [...g.users, ...g.emails, ...g.userGroups] : [];
      });
      return new Set((await resolveUserRefs(slack, integration, refs)).userIds);
    });

  const channelMembers = (channel: string) =>
    remembered(`channel:${channel}`, async () => {
      const integration = await slack.integration(ORGANIZATION);
      const res = await slack.call(integration, 'conversations.members', `listing the members of ${channel}`, (c) => c.conversations.members({ channel, limit: 1000 }));
      return new Set(res.members ?? []);
    });

  return async ({ userId, verb, incidentId }) => {
    if (groups.length && (await responders()).has(userId)) return { ok: true };
    const who = groups.length ? `a member of ${groups.join(', ')}` : 'a responder (no responder groups are configured: incidents.responderGroups)';
    if (verb === 'open' || !incidentId) return { ok: false, why: `only ${who} may ${verb} incidents from Slack` };
    const state = await deps.incidents.state(incidentId);
    // The incident's channel (the one its runbook created), and any other channel a Create Channel step with an id made.
    const created = Object.values(state.steps)
      .filter((o) => typeof o.channel === 'string' && typeof o.name === 'string')
      .map((o) => o.channel as string);
    const channels = [...new Set([state.incident.channelId, ...created].filter((c): c is string => Boolean(c)))];
    for (const channel of channels) if ((await channelMembers(channel)).has(userId)) return { ok: true };
    return { ok: false, why: `only ${who} or a member of the incident’s channel may ${verb} ${incidentId}` };
  };
}

/** Nobody may change incidents from Slack: the server was started without a way to check. */
export const refuseCommandWrites: CommandAuthorizer = async ({ verb }) => ({ ok: false, why: `this server does not accept incident changes from Slack (${verb}): configure incidents.responderGroups` });
