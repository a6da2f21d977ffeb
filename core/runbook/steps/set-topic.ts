/** Set Topic: a channel's topic. */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface SetTopicStep extends StepBase {
  op: 'setTopic';
  channel: string;
  topic: string;
}

export const setTopic = defineStepKind({
  operation: 'Set Topic',
  op: 'setTopic',
  schema: ({ stepSchema, text, channel }) => stepSchema('Set Topic', "Sets a channel's topic.", { Channel: channel.optional(), Topic: text('The topic; templates allowed.') }),
  outputs: ['channel'],
  activities: ['setChannelTopic'],
  verb: 'setting the channel topic',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): SetTopicStep => compact({ op: 'setTopic', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, topic: s.Topic }),
  async run(step, rt) {
    await rt.slack.setChannelTopic({ integration: rt.integration, channel: rt.channel(step.channel), topic: rt.mrkdwn(step.topic) });
    return { outputs: { channel: rt.channel(step.channel) } };
  },
});
