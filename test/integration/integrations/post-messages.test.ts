/**
 * The posts of consecutive runbook steps made by one activity (postMessages),
 * and a post told it may have run before (docs/ARCHITECTURE.md, "The path of
 * a runbook step"), against the sandbox: what each costs in Slack calls, and
 * what is answered when Slack refuses, rate-limits or loses an answer.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities';
import type { PostMessageInput } from '../../../activities/slack/messages';
import { slackHarness, type SlackHarness } from '../../support/slack';

const silentLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let h: SlackHarness;
let acts: ReturnType<typeof createActivities>;
let seq = 0;

function run<A extends unknown[], R>(fn: (...a: A) => Promise<R>, args: A, info: { attempt?: number; scheduledTimestampMs?: number } = {}): Promise<R> {
  const env = new MockActivityEnvironment(
    { attempt: info.attempt ?? 1, isLocal: true, workflowExecution: { workflowId: 'wf-posts', runId: 'run-1' }, scheduledTimestampMs: info.scheduledTimestampMs ?? Date.now() } as never,
    { logger: silentLogger },
  );
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}

async function newChannel(): Promise<string> {
  const created = await run(acts.createChannel, [{ integration: 'organization', name: `posts-${Date.now().toString(36)}-${++seq}`, ownedSince: Math.floor(Date.now() / 1000) - 5 }]);
  return created.id;
}

const posts = (channel: string, ...texts: string[]): PostMessageInput[] => texts.map((text) => ({ integration: 'organization', channel, text, idempotencyKey: `open/${text}` }));
const callsIn = (channel: string, method: string) => h.sandbox.calls(method).filter((c) => c.args.channel === channel);

beforeAll(async () => {
  h = await slackHarness({});
  acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
});
afterAll(() => h.close());

test('posts are made in order, one chat.postMessage each, without reading the channel', async () => {
  const channel = await newChannel();
  const result = await run(acts.postMessages, [{ posts: posts(channel, 'one', 'two', 'three') }]);
  expect(result.stopped).toBeUndefined();
  expect(result.done.map((d) => ('posted' in d ? d.posted.channel : d.refused))).toEqual([channel, channel, channel]);
  expect(h.sandbox.messages(channel).map((m) => m.text)).toEqual(['one', 'two', 'three']);
  expect(callsIn(channel, 'chat.postMessage')).toHaveLength(3);
  expect(callsIn(channel, 'conversations.history')).toHaveLength(0);
});

test('a post Slack refuses is answered as refused, and the next one is made', async () => {
  const channel = await newChannel();
  const result = await run(acts.postMessages, [{ posts: [...posts(channel, 'one'), ...posts('C0NOSUCHCHANNEL', 'lost'), ...posts(channel, 'three')] }]);
  expect(result.stopped).toBeUndefined();
  expect(result.done[1]).toEqual({ refused: expect.stringContaining('channel_not_found') });
  expect(h.sandbox.messages(channel).map((m) => m.text)).toEqual(['one', 'three']);
});

test('a 429 stops the posts there, with the wait Slack asked for; the posts after it are not made', async () => {
  const channel = await newChannel();
  await run(acts.postMessages, [{ posts: posts(channel, 'warm-up') }]);
  h.sandbox.faults.inject('chat.postMessage', { kind: '429', retryAfterSeconds: 3 });
  const result = await run(acts.postMessages, [{ posts: posts(channel, 'two', 'three') }]);
  expect(result.done).toEqual([]);
  expect(result.stopped).toEqual({ message: expect.stringContaining('rate-limited'), mayHavePosted: false, retryAfterMs: 3000 });
  expect(h.sandbox.messages(channel).map((m) => m.text)).toEqual(['warm-up']);
});

test('a post whose answer is lost stops the posts there, saying it may have been made', async () => {
  const channel = await newChannel();
  h.sandbox.faults.inject('chat.postMessage', { kind: 'drop_response' });
  const result = await run(acts.postMessages, [{ posts: posts(channel, 'one', 'two') }]);
  expect(result.done).toEqual([]);
  expect(result.stopped).toEqual({ message: expect.any(String), mayHavePosted: true });
  expect(h.sandbox.messages(channel).map((m) => m.text)).toEqual(['one']);
});

test('a post that may have run looks first, from when the workflow says, and finds itself however long ago it ran', async () => {
  const channel = await newChannel();
  const madeAt = Date.now();
  await run(acts.postMessages, [{ posts: posts(channel, 'notify') }]);
  // Run again ten minutes later (a worker that was down): from its own schedule time it would not look back far enough.
  const later = madeAt + 10 * 60_000;
  const again = await run(acts.postMessage, [{ ...posts(channel, 'notify')[0], mayHaveRun: true, lookBackFrom: madeAt - 1000 }], { scheduledTimestampMs: later });
  expect(again.existing).toBe(true);
  const many = await run(acts.postMessages, [{ posts: posts(channel, 'notify', 'next').map((p) => ({ ...p, mayHaveRun: true, lookBackFrom: madeAt - 1000 })) }], { scheduledTimestampMs: later });
  expect(many.done.map((d) => 'posted' in d && d.posted.existing === true)).toEqual([true, false]);
  expect(h.sandbox.messages(channel).map((m) => m.text)).toEqual(['notify', 'next']);
  expect(callsIn(channel, 'conversations.history')).toHaveLength(3);
});

test('without the workflow’s moment, a post run again ten minutes later looks back from its own schedule and misses itself', async () => {
  const channel = await newChannel();
  const madeAt = Date.now();
  await run(acts.postMessage, [posts(channel, 'notify')[0]]);
  const again = await run(acts.postMessage, [{ ...posts(channel, 'notify')[0], mayHaveRun: true }], { scheduledTimestampMs: madeAt + 10 * 60_000 });
  expect(again.existing).toBeUndefined();
  expect(h.sandbox.messages(channel).map((m) => m.text)).toEqual(['notify', 'notify']);
});
