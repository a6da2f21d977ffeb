/** Update Message: replaces an earlier message's text (and blocks). Outputs channel and ts. */
import type { MessageBlock, StepBase } from '../types';
import { checkBlocks, normalizeBlocks } from './blocks';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface UpdateMessageStep extends StepBase {
  op: 'updateMessage';
  channel: string;
  /** Template, e.g. `[steps.notify.ts]`. */
  ts: string;
  text: string;
  blocks?: MessageBlock[];
}

export const updateMessage = defineStepKind({
  operation: 'Update Message',
  op: 'updateMessage',
  schema: ({ stepSchema, text, channel, blocks }) => stepSchema('Update Message', 'Replaces the text of an earlier message.', {
    Channel: channel.optional(),
    Ts: text('The message to update, e.g. `[steps.notify.ts]`.'),
    Message: text('The new text; templates allowed.'),
    Blocks: blocks.optional(),
  }),
  outputs: ['channel', 'ts'],
  activities: ['updateMessage'],
  docs: { fields: { Blocks: 'without `Blocks` the message keeps its blocks' } },
  verb: 'updating a message',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): UpdateMessageStep => compact({ op: 'updateMessage', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, ts: s.Ts, text: s.Message, blocks: normalizeBlocks(s.Blocks) }),
  check: (s, c) => checkBlocks(s.Blocks, c.report, c.isLiteral),
  async run(step, rt) {
    const channel = rt.channel(step.channel);
    const ts = rt.render(step.ts);
    await rt.slack.updateMessage({ integration: rt.integration, channel, ts, text: rt.mrkdwn(step.text), blocks: rt.blocks(step.blocks, step.text) });
    return { outputs: { channel, ts } };
  },
});
