/**
 * A channel named in a runbook or an approval (`#ops`) is looked up once and
 * its id remembered for a few minutes. When Slack answers that the remembered
 * channel is gone (`channel_not_found`) or archived (`is_archived`), the name
 * is looked up again, once: a channel recreated under its name gets the post.
 *
 * People archive, rename, make private and recreate channels in Slack's own
 * UI; the test does the same to the sandbox's workspace directly.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../activities';
import { slackHarness, type SlackHarness } from '../../support/slack';

const silentLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let h: SlackHarness;
let acts: ReturnType<typeof createActivities>;

function run<A extends unknown[], R>(fn: (...a: A) => Promise<R>, args: A): Promise<R> {
  const env = new MockActivityEnvironment({ attempt: 1, workflowExecution: { workflowId: 'wf-cache', runId: 'run-1' }, scheduledTimestampMs: Date.now() } as never, { logger: silentLogger });
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}

beforeAll(async () => {
  h = await slackHarness();
  acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
});
afterAll(() => h.close());

let n = 0;
const uniqueName = () => `ops-${Date.now().toString(36)}-${++n}`;
const post = (channel: string, text: string) => run(acts.postMessage, [{ integration: 'organization', channel: `#${channel}`, text, idempotencyKey: `post-${++n}` }]);
const lookups = () => h.sandbox.calls('conversations.list').length;

test('a channel archived and recreated under its name: the next post goes to the new channel', async () => {
  const name = uniqueName();
  const [old] = h.sandbox.seedChannels([{ name, members: ['bot', 'U0ALICE'] }]);
  expect((await post(name, 'first')).channel).toBe(old.id);

  // Someone archives the channel, renames it out of the way and creates a new one under the name.
  old.archived = true;
  old.name = `${name}-old`;
  const [fresh] = h.sandbox.seedChannels([{ name, members: ['bot', 'U0ALICE'] }]);

  const before = lookups();
  const second = await post(name, 'second');
  expect(second.channel).toBe(fresh.id);
  expect(h.sandbox.messages(fresh.id).map((m) => m.text)).toEqual(['second']);
  expect(h.sandbox.messages(old.id).map((m) => m.text)).toEqual(['first']);
  expect(lookups() - before).toBe(1);
});

test('a channel gone from the bot (channel_not_found) and recreated under its name: the post goes to the new channel', async () => {
  const name = uniqueName();
  const [old] = h.sandbox.seedChannels([{ name, members: ['bot', 'U0ALICE'] }]);
  expect((await post(name, 'first')).channel).toBe(old.id);

  // Made private without the bot: Slack answers channel_not_found, as for a deleted channel.
  old.isPrivate = true;
  old.members.delete(h.sandbox.botUserId);
  old.name = `${name}-private`;
  const [fresh] = h.sandbox.seedChannels([{ name, members: ['bot'] }]);

  const second = await post(name, 'second');
  expect(second.channel).toBe(fresh.id);
  expect(h.sandbox.messages(fresh.id).map((m) => m.text)).toEqual(['second']);
});

test('a channel archived and not replaced: looked up once more, then Slack\'s is_archived refusal', async () => {
  const name = uniqueName();
  const [channel] = h.sandbox.seedChannels([{ name, members: ['bot'] }]);
  await post(name, 'first');
  channel.archived = true;

  const before = { lookups: lookups(), posts: h.sandbox.calls('chat.postMessage').length };
  const failure = await post(name, 'second').then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect((failure as ApplicationFailure).type).toBe('Slack:is_archived');
  expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  // One more lookup, and no second try at the same archived channel.
  expect(lookups() - before.lookups).toBe(1);
  expect(h.sandbox.calls('chat.postMessage').length - before.posts).toBe(1);
});
