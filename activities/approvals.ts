/**
 * Activities the approval workflow needs beyond posting: which integration
 * a request uses, and who its approvers are (configuration groups resolved
 * to Slack user IDs when the request starts).
 */
import { refusal } from '../src/slack/errors';
import { IntegrationError, ORGANIZATION } from '../src/slack/integrations';
import type { SlackContext } from './slack/context';
import { resolveUserRefs } from './slack/directory';
import { resolveRequester } from './slack/requester';
import { carrierViolation, policyOfGroups } from '../core/approval/policy';
import type { ApprovalPolicy } from '../core/approval/types';

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

    /** The integration whose Slack app owns a configured incoming webhook: its clicks are that app's. */
    async webhookOwner(input: { webhook: string }): Promise<string> {
      try {
        return slack.registry.webhookOwner(input.webhook);
      } catch (err) {
        if (err instanceof IntegrationError) throw refusal(`Signalroom:${err.code}`, err.message);
        throw err;
      }
    },

    /**
     * The approvers of the groups (user IDs), the requester (exactly one Slack
     * user, or the request is refused) and what configuration permits the
     * groups: self-approval, approval on timeout.
     */
    async resolveApprovers(input: { integration?: string; webhook?: string; groups: string[]; requestedBy?: string; policyGroups?: string[] }): Promise<{ approvers: Record<string, string[]>; requester?: string; policy: ApprovalPolicy }> {
      // The card's carrier (the integration, or the app owning the webhook) must be one every group trusts with its decisions.
      const carrier = input.integration ?? (input.webhook ? slack.registry.webhookOwner(input.webhook) : ORGANIZATION);
      const asked = input.policyGroups ?? input.groups;
      const refusedCarrier = carrierViolation(asked, carrier, Object.fromEntries(asked.map((g) => [g, slack.registry.approverGroup(g)])));
      if (refusedCarrier) throw refusal('Signalroom:integration_not_allowed', `${refusedCarrier[0].toUpperCase()}${refusedCarrier.slice(1)}`);
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
      if (input.requestedBy !== undefined) {
        const found = await resolveRequester(slack, integration, input.requestedBy);
        if (!found.ok) throw refusal('Signalroom:unresolvable_requester', `${found.why}: the requester must be exactly one Slack user, or nobody could tell their own approval apart`);
        requester = found.userId;
      }
      // `policyGroups`: every group the request may ever ask (its escalation's too), so that the policy is known at the start.
      const policyGroups = input.policyGroups ?? input.groups;
      const policy = policyOfGroups(policyGroups, Object.fromEntries(policyGroups.map((g) => [g, slack.registry.approverGroup(g)])));
      return { approvers, requester, policy };
    },
  };
}
