/** Archive Channel. To archive after a delay, put a Wait step before it. */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface ArchiveChannelStep extends StepBase {
  op: 'archiveChannel';
  channel: string;
}

export const archiveChannel = defineStepKind({
  operation: 'Archive Channel',
  op: 'archiveChannel',
  schema: ({ stepSchema, channel }) => stepSchema('Archive Channel', 'Archives a channel (put a Wait before it to archive after a delay).', { Channel: channel.optional() }),
  outputs: ['channel'],
  activities: ['archiveChannel'],
  verb: 'archiving the channel',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): ArchiveChannelStep => compact({ op: 'archiveChannel', ...base, channel: s.Channel ?? INCIDENT_CHANNEL }),
  async run(step, rt) {
    await rt.slack.archiveChannel({ integration: rt.integration, channel: rt.channel(step.channel) });
    return { outputs: { channel: rt.channel(step.channel) } };
  },
});
