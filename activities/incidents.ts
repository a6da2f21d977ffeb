/**
 * Activities the incident workflow needs beyond Slack's own calls: whether a
 * person may change the incident (its action items' Done buttons), by the
 * same check as the slash command (src/incidents/command-access.ts).
 */
import { incidentChangeAccess, type CommandAccess, type IncidentAudience, type IncidentChangeCheck } from '../src/incidents/command-access';
import type { SlackContext } from './slack/context';

export function createIncidentActivities(slack: SlackContext) {
  let check: IncidentChangeCheck | undefined;
  return {
    /** May `user` `verb` the incident: a responder group, someone the incident added, or (when configured) anyone in its channel. */
    async mayChangeIncident(input: { user: string; verb: string; incident: IncidentAudience }): Promise<CommandAccess> {
      check ??= incidentChangeAccess({ slack, policy: slack.registry.incidentPolicy(), approverGroup: (name) => slack.registry.approverGroup(name) });
      return check({ userId: input.user, verb: input.verb, incident: input.incident });
    },
  };
}
