/** Pin Message. */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface PinMessageStep extends StepBase {
  op: 'pinMessage';
  channel: string;
  ts: string;
}

export const pinMessage = defineStepKind({
  operation: 'Pin Message',
  op: 'pinMessage',
  schema: ({ stepSchema, text, channel }) => stepSchema('Pin Message', 'Pins a message.', { Channel: channel.optional(), Ts: text('The message, e.g. `[steps.notify.ts]`.') }),
  outputs: ['channel', 'ts'],
  activities: ['pinMessage'],
  verb: 'pinning a message',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): PinMessageStep => compact({ op: 'pinMessage', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, ts: s.Ts }),
  async run(step, rt) {
    await rt.slack.pinMessage({ integration: rt.integration, channel: rt.channel(step.channel), ts: rt.render(step.ts) });
    return { outputs: { channel: rt.channel(step.channel), ts: rt.render(step.ts) } };
  },
});
