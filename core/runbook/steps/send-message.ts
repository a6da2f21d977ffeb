/** Send Message: posts a message (or a thread reply). Outputs channel and ts. */
import type { MessageBlock, StepBase } from '../types';
import { checkBlocks, normalizeBlocks, postStepInput } from './blocks';
import { compact, defineStepKind, INCIDENT_CHANNEL, type PostStep } from './kind';

export interface SendMessageStep extends StepBase {
  op: 'sendMessage';
  /** Template: a channel ID, `#name` or `name`. */
  channel: string;
  /** Template; the notification text (also the fallback for blocks). */
  text: string;
  blocks?: MessageBlock[];
  /** Template: reply in this thread, e.g. `[steps.thread.ts]`. */
  threadTs?: string;
  /** Also show a threaded reply in the channel. @default false */
  broadcast: boolean;
}

/** One post, so consecutive Send Message steps may be posted together (PostStep). */
const post: PostStep<SendMessageStep> = {
  input: (step, rt) => postStepInput(rt, step, { threadTs: step.threadTs ? rt.render(step.threadTs) : undefined, replyBroadcast: step.broadcast }),
  done: (_step, _rt, posted) => ({ outputs: { channel: posted.channel, ts: posted.ts } }),
};

export const sendMessage = defineStepKind({
  operation: 'Send Message',
  op: 'sendMessage',
  schema: ({ z, stepSchema, messageFields, text }) => stepSchema('Send Message', 'Posts a message. Outputs channel and ts.', {
    ...messageFields('The message text; templates allowed.'),
    Thread: text('Reply in this thread, e.g. `[steps.thread.ts]`.').optional(),
    Broadcast: z.boolean().optional().describe('Also show a thread reply in the channel. Default false.'),
  }),
  outputs: ['channel', 'ts'],
  activities: ['postMessage'],
  docs: { fields: { Thread: 'a ts to reply to' } },
  verb: 'posting a message',
  channel: 'uses',
  plainFields: ['Broadcast'],
  normalize: (s, base): SendMessageStep =>
    compact({ op: 'sendMessage', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, text: s.Message, blocks: normalizeBlocks(s.Blocks), threadTs: s.Thread, broadcast: s.Broadcast ?? false }),
  check: (s, c) => checkBlocks(s.Blocks, c.report, c.isLiteral),
  post,
  async run(step, rt) {
    return post.done(step, rt, await rt.slack.postMessage(post.input(step, rt)));
  },
});
