/**
 * Who may change an incident from Slack: the /signalroom slash command here,
 * and the action items' Done buttons in the worker (the same check, through
 * an activity). Reading (status, help, approvals) is open to anyone the
 * signature vouches for; opening needs membership of a configured responder
 * group (`incidents.responderGroups`); updating, changing the severity,
 * resolving (which archives the channel) and closing action items need a
 * responder group or having been added by the incident itself — its member
 * list as Signalroom recorded it (the people its runbook's Create Channel and
 * Add Users steps invited, and whoever opened it). Being in the incident's
 * channel counts only with `incidents.changeAccess: channel-members`: anyone
 * can join a public channel (SECURITY.md, "Incidents are changed only by
 * responders").
 */
import { SlackContext } from '../../activities/slack/context';
import { resolveUserRefs } from '../../activities/slack/directory';
import type { ApproverGroupConfig, IncidentPolicy, SignalroomConfig } from '../config/schema';
import { ORGANIZATION, type IntegrationRegistry } from '../slack/integrations';
import { audienceOf, type IncidentAudience } from '../../core/incident/audience';
import type { IncidentService } from './service';
import { ownEntry } from '../config/own';

export type { IncidentAudience } from '../../core/incident/audience';

export type CommandVerb = 'open' | 'update' | 'severity' | 'resolve' | (string & {});

export type CommandAccess = { ok: true } | { ok: false; why: string };

/** Decides whether `userId` may run `verb` on the incident `incidentId` (absent for `open`). */
export type CommandAuthorizer = (request: { userId: string; verb: CommandVerb; incidentId?: string }) => Promise<CommandAccess>;

/** Decides whether `userId` may `verb` the incident (absent for `open`). */
export type IncidentChangeCheck = (request: { userId: string; verb: CommandVerb; incident?: IncidentAudience }) => Promise<CommandAccess>;

/** Memberships change rarely, and the command must answer within Slack's 3 seconds. */
const MEMBERS_CACHE_MS = 60_000;

/** The one check, for the server and the worker alike. */
export function incidentChangeAccess(deps: { slack: SlackContext; policy: IncidentPolicy; approverGroup: (name: string) => ApproverGroupConfig | undefined }): IncidentChangeCheck {
  const { slack, policy } = deps;
  const cache = new Map<string, { at: number; members: Promise<Set<string>> }>();
  const remembered = (key: string, load: () => Promise<Set<string>>): Promise<Set<string>> => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < MEMBERS_CACHE_MS) return hit.members;
    const members = load();
    cache.set(key, { at: Date.now(), members });
    members.catch(() => cache.delete(key));
    return members;
  };

  const groups = policy.responderGroups;
  const responders = () =>
    remembered('responders', async () => {
      const integration = await slack.integration(ORGANIZATION);
      const refs = groups.flatMap((name) => {
        const g = deps.approverGroup(name);
        return g ? [...g.users, ...g.emails, ...g.userGroups] : [];
      });
      return new Set((await resolveUserRefs(slack, integration, refs)).userIds);
    });

  const channelMembers = (channel: string, where = ORGANIZATION) =>
    remembered(`channel:${where}:${channel}`, async () => {
      const integration = await slack.integration(where);
      const res = await slack.call(integration, 'conversations.members', `listing the members of ${channel}`, (c) => c.conversations.members({ channel, limit: 1000 }));
      return new Set(res.members ?? []);
    });

  return async ({ userId, verb, incident }) => {
    if (groups.length && (await responders()).has(userId)) return { ok: true };
    const who = groups.length ? `a member of ${groups.join(', ')}` : 'a responder (no responder groups are configured: incidents.responderGroups)';
    if (verb === 'open' || !incident) return { ok: false, why: `only ${who} may ${verb} incidents from Slack` };
    if (incident.members.includes(userId)) return { ok: true };
    if (policy.changeAccess !== 'channel-members') return { ok: false, why: `only ${who} or someone the incident added may ${verb} ${incident.id}` };
    for (const channel of incident.channels) if ((await channelMembers(channel, incident.integration || ORGANIZATION)).has(userId)) return { ok: true };
    return { ok: false, why: `only ${who} or a member of the incident’s channel may ${verb} ${incident.id}` };
  };
}

/** The slash command's check: the incident's state read through the service. */
export function responderAccess(deps: { config: SignalroomConfig; integrations: IntegrationRegistry; incidents: IncidentService }): CommandAuthorizer {
  const check = incidentChangeAccess({ slack: new SlackContext({ integrations: deps.integrations }), policy: deps.config.incidents, approverGroup: (name) => ownEntry(deps.config.approverGroups, name) });
  return async ({ userId, verb, incidentId }) => {
    if (verb === 'open' || !incidentId) return check({ userId, verb });
    // A responder needs no lookup of the incident.
    const first = await check({ userId, verb, incident: { id: incidentId, members: [], channels: [] } });
    if (first.ok) return first;
    return check({ userId, verb, incident: audienceOf(incidentId, await deps.incidents.state(incidentId)) });
  };
}

/** Nobody may change incidents from Slack: the server was started without a way to check. */
export const refuseCommandWrites: CommandAuthorizer = async ({ verb }) => ({ ok: false, why: `this server does not accept incident changes from Slack (${verb}): configure incidents.responderGroups` });
