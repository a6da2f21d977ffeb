/** Create Thread: posts a thread's root message, optionally the home of the incident's updates. Outputs channel and ts. */
import type { MessageBlock, StepBase } from '../types';
import { checkBlocks, normalizeBlocks, postStepMessage } from './blocks';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

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
  schema: ({ z, stepSchema, messageFields }) => stepSchema('Create Thread', 'Posts the root message of a thread. Outputs channel and ts.', {
    ...messageFields('The root message; templates allowed.'),
    ThreadUpdates: z.boolean().optional().describe("Post the incident's updates and reminders in this thread. Default false."),
  }),
  outputs: ['channel', 'ts'],
  activities: ['postMessage'],
  docs: { fields: { ThreadUpdates: 'post updates and reminders in this thread' } },
  verb: 'opening the updates thread',
  channel: 'uses',
  plainFields: ['ThreadUpdates'],
  normalize: (s, base): CreateThreadStep =>
    compact({ op: 'createThread', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, text: s.Message, blocks: normalizeBlocks(s.Blocks), threadUpdates: s.ThreadUpdates ?? false }),
  check: (s, c) => checkBlocks(s.Blocks, c.report, c.isLiteral),
  async run(step, rt) {
    const posted = await postStepMessage(rt, step);
    if (step.threadUpdates) rt.useThreadForUpdates(posted.channel, posted.ts);
    return { outputs: { channel: posted.channel, ts: posted.ts } };
  },
});
