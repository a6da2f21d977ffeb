/**
 * Add Action Item: documents a follow-up with a Done button that only the
 * incident channel's members can press. The workflow keeps the items:
 * reminders name the open ones, the resolve summary lists them. Outputs
 * `item` (its number) and `channel`, `ts` (its message).
 */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface AddActionItemStep extends StepBase {
  op: 'addActionItem';
  channel: string;
  /** Template. */
  text: string;
  /** Template: a Slack user ID, @handle or email. */
  owner?: string;
}

export const addActionItem = defineStepKind({
  operation: 'Add Action Item',
  op: 'addActionItem',
  schema: ({ stepSchema, text, channel }) => stepSchema('Add Action Item', 'Posts an action item with a Done button that only responders and the people the incident added can press. Outputs item, channel and ts.', {
    Channel: channel.optional(),
    Text: text('What has to be done; templates allowed.'),
    Owner: text('Who owns it: a Slack user ID, @handle or email; templates allowed.').optional(),
  }),
  outputs: ['item', 'channel', 'ts'],
  activities: [],
  docs: {
    fields: { Owner: "user ID, `@handle` or email; a user group's handle too: shown as a mention, or as written with a problem in the timeline when Slack does not know it" },
    outputs: { item: 'its number' },
  },
  verb: 'adding an action item',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): AddActionItemStep => compact({ op: 'addActionItem', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, text: s.Text, owner: s.Owner }),
  async run(step, rt) {
    const item = await rt.addActionItem({ channel: rt.channel(step.channel), text: rt.render(step.text), owner: step.owner ? rt.render(step.owner) : undefined });
    return { outputs: { item: String(item.id), channel: item.channel ?? '', ts: item.ts ?? '' } };
  },
});
