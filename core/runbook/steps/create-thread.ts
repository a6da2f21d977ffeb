/** Create Thread: posts a thread's root message, optionally the home of the incident's updates. Outputs channel and ts. */
import type { MessageBlock, StepBase } from '../types';
import { checkBlocks, normalizeBlocks, postStepInput } from './blocks';
import { compact, defineStepKind, INCIDENT_CHANNEL, type PostStep } from './kind';

export interface CreateThreadStep extends StepBase {
  op: 'createThread';
  channel: string;
  text: string;
  blocks?: MessageBlock[];
  /** Post the incident's updates (and reminders) as replies in this thread. @default false */
  threadUpdates: boolean;
}

/** One post, so it may be posted together with Send Message steps around it (PostStep). */
const post: PostStep<CreateThreadStep> = {
  input: (step, rt) => postStepInput(rt, step),
  done: (step, rt, posted) => {
    if (step.threadUpdates) rt.useThreadForUpdates(posted.channel, posted.ts);
    return { outputs: { channel: posted.channel, ts: posted.ts } };
  },
};

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
  post,
  async run(step, rt) {
    return post.done(step, rt, await rt.slack.postMessage(post.input(step, rt)));
  },
});
