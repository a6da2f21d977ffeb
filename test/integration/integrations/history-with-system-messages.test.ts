/**
 * Slack puts its own lines in a channel's history (joins, purpose, topic):
 * the idempotency lookups that read history must look past them. A post
 * whose answer was lost, in an incident channel busy with joins and topic
 * changes, is found by its retry and not posted twice.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities';
import { slackHarness, type SlackHarness } from '../../support/slack';

const silentLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let h: SlackHarness;
let acts: ReturnType<typeof createActivities>;

function run<A extends unknown[], R>(fn: (...a: A) => Promise<R>, args: A, attempt = 1): Promise<R> {
  const env = new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: 'wf-history', runId: 'run-1' }, scheduledTimestampMs: Date.now() } as never, { logger: silentLogger });
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}

beforeAll(async () => {
  h = await slackHarness({});
  acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
});
afterAll(() => h.close());

test('a lost post is found by its retry among the channel\'s system messages; posted once', async () => {
  const org = 'organization';
  const created = await run(acts.createChannel, [{ integration: org, name: `sys-history-${Date.now().toString(36)}`, purpose: 'Incident 7', ownedSince: Math.floor(Date.now() / 1000) - 5 }]);
  h.sandbox.faults.inject('chat.postMessage', { kind: 'drop_response' });
  await expect(run(acts.postMessage, [{ integration: org, channel: created.id, text: 'SEV1 incident detected', idempotencyKey: 'notify' }])).rejects.toThrow();
  // Meanwhile Slack adds its own lines after the post.
  await run(acts.inviteUsers, [{ integration: org, channel: created.id, users: ['U0ALICE', 'U0BOB'] }]);
  await run(acts.setChannelTopic, [{ integration: org, channel: created.id, topic: 'SEV1' }]);

  const retried = await run(acts.postMessage, [{ integration: org, channel: created.id, text: 'SEV1 incident detected', idempotencyKey: 'notify' }], 2);

  expect(retried.existing).toBe(true);
  expect(h.sandbox.messages(created.id).map((m) => m.text)).toEqual(['SEV1 incident detected']);
  expect(h.sandbox.messages(created.id, { includeSystem: true }).map((m) => m.subtype ?? 'post')).toEqual(['channel_join', 'channel_purpose', 'post', 'channel_join', 'channel_join', 'channel_topic']);
});
