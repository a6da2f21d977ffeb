/** Create Thread: posts a thread's root message, optionally the home of the incident's updates. Outputs channel and ts. */
import { z } from 'zod';
import type { MessageBlock, StepBase } from '../types';
import { blocks, checkBlocks, normalizeBlocks } from './blocks';
import { channel, compact, defineStepKind, INCIDENT_CHANNEL, stepSchema, text } from './kind';

export interface CreateThreadStep extends StepBase {
  op: 'createThread';
  channel: string;
  text: string;
  blocks?: MessageBlock[];
  /** Post the incident's updates (and reminders) as replies in this thread. @default false */
  threadUpdates: boolean;
}

export const createThread = defineStepKind({
  operation: 'Create Thread',
  op: 'createThread',
  schema: stepSchema('Create Thread', 'Posts the root message of a thread. Outputs channel and ts.', {
    Channel: channel.optional(),
    Message: text('The root message; templates allowed.'),
    Blocks: blocks.optional(),
    ThreadUpdates: z.boolean().optional().describe("Post the incident's updates and reminders in this thread. Default false."),
  }),
  outputs: ['channel', 'ts'],
  verb: 'opening the updates thread',
  channel: 'uses',
  plainFields: ['ThreadUpdates'],
  normalize: (s, base): CreateThreadStep =>
    compact({ op: 'createThread', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, text: s.Message, blocks: normalizeBlocks(s.Blocks), threadUpdates: s.ThreadUpdates ?? false }),
  check: (s, c) => checkBlocks(s.Blocks, c.report, c.isLiteral),
  async run(step, rt) {
    const posted = await rt.slack.postMessage({
      integration: rt.integration,
      channel: rt.channel(step.channel),
      text: rt.mrkdwn(step.text),
      blocks: rt.blocks(step.blocks, step.text),
      idempotencyKey: rt.idempotencyKey,
      metadata: { incident: rt.incident.id ?? '' },
    });
    if (step.threadUpdates) rt.useThreadForUpdates(posted.channel, posted.ts);
    return { outputs: { channel: posted.channel, ts: posted.ts } };
  },
});
