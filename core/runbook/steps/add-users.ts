/** Add Users: invites people to a channel. */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface AddUsersStep extends StepBase {
  op: 'addUsers';
  channel: string;
  /** Templates: Slack user IDs, `@user-group` handles, `@username`s or emails. */
  users: string[];
}

export const addUsers = defineStepKind({
  operation: 'Add Users',
  op: 'addUsers',
  schema: ({ stepSchema, channel, users }) => stepSchema('Add Users', 'Invites people to a channel.', { Channel: channel.optional(), Users: users }),
  outputs: ['channel'],
  activities: ['inviteUsers'],
  docs: { fields: { Users: 'user IDs, `@user-group`s, `@name`s, emails: see below' } },
  verb: 'inviting people',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): AddUsersStep => compact({ op: 'addUsers', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, users: s.Users }),
  async run(step, rt) {
    const result = await rt.slack.inviteUsers({ integration: rt.integration, channel: rt.channel(step.channel), users: step.users.map(rt.render) });
    // The people the runbook adds are the incident's own: they may change it from Slack.
    rt.addMembers([...result.invited, ...result.alreadyMembers]);
    if (result.failed.length) rt.noteError(`could not invite ${result.failed.map((f) => `${f.user} (${f.error})`).join(', ')}`);
    return { outputs: { channel: rt.channel(step.channel) } };
  },
});
