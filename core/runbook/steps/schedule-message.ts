/** Schedule Message: Slack posts it later (e.g. the retrospective reminder). Outputs channel, scheduledMessageId, postAt (epoch seconds). */
import { parseDuration } from '../duration';
import type { MessageBlock, StepBase } from '../types';
import { checkBlocks, normalizeBlocks } from './blocks';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface ScheduleMessageStep extends StepBase {
  op: 'scheduleMessage';
  channel: string;
  text: string;
  blocks?: MessageBlock[];
  afterMs: number;
}

export const scheduleMessage = defineStepKind({
  operation: 'Schedule Message',
  op: 'scheduleMessage',
  schema: ({ stepSchema, messageFields, duration }) => stepSchema('Schedule Message', 'Has Slack post a message later (e.g. the retrospective reminder).', {
    ...messageFields('The message text; templates allowed.'),
    After: duration('How long after this step Slack posts it, e.g. 2d.'),
  }),
  outputs: ['channel', 'scheduledMessageId', 'postAt'],
  activities: ['scheduleMessage'],
  docs: { fields: { After: 'e.g. `2d`' } },
  verb: 'scheduling a message',
  channel: 'uses',
  plainFields: ['After'],
  normalize: (s, base): ScheduleMessageStep =>
    compact({ op: 'scheduleMessage', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, text: s.Message, blocks: normalizeBlocks(s.Blocks), afterMs: parseDuration(s.After) }),
  check: (s, c) => checkBlocks(s.Blocks, c.report, c.isLiteral),
  async run(step, rt) {
    const postAt = Math.floor((rt.now() + step.afterMs) / 1000);
    const channel = rt.channel(step.channel);
    const scheduled = await rt.slack.scheduleMessage({ integration: rt.integration, channel, text: rt.mrkdwn(step.text), postAt, blocks: rt.blocks(step.blocks, step.text) });
    return { outputs: { channel, scheduledMessageId: scheduled.scheduledMessageId, postAt: String(postAt) } };
  },
});
