/**
 * Activities the approval workflow needs beyond posting: which integration
 * a request uses, and who its approvers are (configuration groups resolved
 * to Slack user IDs when the request starts).
 */
import { refusal } from '../src/slack/errors';
import { IntegrationError, ORGANIZATION } from '../src/slack/integrations';
import type { SlackContext } from './slack/context';
import { resolveUserRefs } from './slack/directory';

export function createApprovalActivities(slack: SlackContext) {
  return {
    async resolveIntegration(input: { project?: string; connector?: string; integration?: string }): Promise<string> {
      if (input.integration) return input.integration;
      try {
        return slack.registry.resolveFor(input.project, input.connector);
      } catch (err) {
        if (err instanceof IntegrationError) throw refusal(`Signalroom:${err.code}`, err.message);
        throw err;
      }
    },

    async resolveApprovers(input: { integration?: string; groups: string[]; requestedBy?: string }): Promise<{ approvers: Record<string, string[]>; requester?: string }> {
      const integration = await slack.integration(input.integration ?? ORGANIZATION);
      const approvers: Record<string, string[]> = {};
      for (const name of input.groups) {
        const group = slack.registry.approverGroup(name);
        if (!group) throw refusal('Signalroom:unknown_approver_group', `Unknown approver group "${name}": define it under approverGroups in the configuration`);
        const people = await resolveUserRefs(slack, integration, [...group.users, ...group.emails]);
        const groups = await resolveUserRefs(slack, integration, group.userGroups, { handlesMayBePeople: false });
        const userIds = [...new Set([...people.userIds, ...groups.userIds])];
        const failed = [...people.failed, ...groups.failed];
        if (failed.length) {
          throw refusal('Signalroom:unresolvable_approver', `Approver group "${name}" names ${failed.map((f) => `${f.user} (${f.error})`).join(', ')}: fix the group in the configuration`);
        }
        approvers[name] = userIds;
      }
      let requester: string | undefined;
      if (input.requestedBy) {
        const { userIds } = await resolveUserRefs(slack, integration, [input.requestedBy]);
        requester = userIds[0];
      }
      return { approvers, requester };
    },
  };
}
