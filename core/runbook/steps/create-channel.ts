/** Create Channel: the incident channel. Sets [incident.channel] and [incident.channelId]. */
import type { StepBase } from '../types';
import { compact, defineStepKind } from './kind';

export interface CreateChannelStep extends StepBase {
  op: 'createChannel';
  /** Template; normalized like Slack's UI (lower-case, spaces to hyphens) by the activity. */
  name: string;
  /** Template; becomes the channel's purpose. */
  description?: string;
  /** Templates: Slack user IDs, `@user-group` handles, `@username`s or emails. */
  addUsers: string[];
  /** @default false */
  private: boolean;
}

export const createChannel = defineStepKind({
  operation: 'Create Channel',
  op: 'createChannel',
  schema: ({ z, stepSchema, text, users }) => stepSchema('Create Channel', 'Creates the incident channel; sets `[incident.channel]`, `[incident.channelId]` and `[incident.channelLink]` (a link to the channel in messages).', {
    Name: text('Channel name, lower-case; e.g. `incident-[incident.id]`.'),
    Description: text("The channel's purpose; templates allowed.").optional(),
    AddUsers: users.optional(),
    Private: z.boolean().optional().describe('Create a private channel. Default false.'),
  }),
  outputs: ['channel', 'name', 'link'],
  activities: ['createChannel', 'inviteUsers'],
  docs: { outputs: { channel: 'ID', link: '`<#C…>`' } },
  verb: 'creating the incident channel',
  channel: 'creates',
  plainFields: ['Private'],
  normalize: (s, base): CreateChannelStep =>
    compact({ op: 'createChannel', ...base, name: s.Name, description: s.Description, addUsers: s.AddUsers ?? [], private: s.Private ?? false }),
  async run(step, rt) {
    const created = await rt.slack.createChannel({
      integration: rt.integration,
      name: rt.render(step.name),
      isPrivate: step.private,
      // Slack reads markup in a purpose: the author's text, each value escaped.
      purpose: step.description ? rt.mrkdwn(step.description) : undefined,
      ownedSince: Math.floor(rt.openedAt / 1000) - 60,
    });
    rt.incident.channel = created.name;
    rt.incident.channelId = created.id;
    // Slack links a channel only as <#C…>: built here from the ID Slack gave, for templates.
    rt.incident.channelLink = rt.channelLink(created.id);
    if (step.addUsers.length) {
      const users = step.addUsers.map(rt.render);
      try {
        const invited = await rt.slack.inviteUsers({ integration: rt.integration, channel: created.id, users });
        rt.addMembers([...invited.invited, ...invited.alreadyMembers]);
        if (invited.failed.length) rt.noteError(`could not invite ${invited.failed.map((f) => `${f.user} (${f.error})`).join(', ')}`);
      } catch (err) {
        // The channel exists: it is this step's outcome, and later steps need it. The invites
        // are a problem of their own. Runs that failed here before this change replay as failed.
        if (rt.isCancellation(err) || !rt.patched('channel-done-when-invites-fail')) throw err;
        rt.noteError(`could not invite ${users.join(', ')}: ${rt.failureMessage(err)}`);
      }
    }
    return { outputs: { channel: created.id, name: created.name, link: rt.channelLink(created.id) } };
  },
});
