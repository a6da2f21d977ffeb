/**
 * inviteUsers when Slack refuses the batch because one person is already in
 * the channel (they joined after the activity read the members, or an
 * earlier attempt's answer was lost): Slack answers `already_in_channel`
 * with an `errors` entry per person refused and invites nobody. Everyone
 * else must still end up invited, and the result says who was already in.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../../activities';
import { slackHarness, type SlackHarness } from '../../support/slack';

const silentLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let h: SlackHarness;
let acts: ReturnType<typeof createActivities>;

function run<A extends unknown[], R>(fn: (...a: A) => Promise<R>, args: A): Promise<R> {
  const env = new MockActivityEnvironment({ attempt: 1, workflowExecution: { workflowId: 'wf-invite', runId: 'run-1' }, scheduledTimestampMs: Date.now() } as never, { logger: silentLogger });
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}

beforeAll(async () => {
  h = await slackHarness({});
  acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
});
afterAll(() => h.close());

test('carol joins as the invite is sent: bob and dave are invited, carol is reported as already in, with one retry', async () => {
  const created = await run(acts.createChannel, [{ integration: 'organization', name: `invite-race-${Date.now().toString(36)}`, ownedSince: Math.floor(Date.now() / 1000) - 5 }]);
  const carol = h.sandbox.createToken({ type: 'user', userId: 'U0CAROL', scopes: ['channels:write'] });
  // After the activity read the members, before its invite reaches Slack: carol joins on her own.
  h.sandbox.beforeCall('conversations.invite', async () => {
    const res = await fetch(`${h.sandbox.apiUrl}conversations.join`, { method: 'POST', headers: { authorization: `Bearer ${carol}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `channel=${created.id}` });
    expect(await res.json()).toMatchObject({ ok: true });
  });
  const invites = h.sandbox.calls('conversations.invite').length;

  const result = await run(acts.inviteUsers, [{ integration: 'organization', channel: created.id, users: ['U0BOB', 'U0CAROL', 'U0DAVE'] }]);

  expect(result).toEqual({ invited: ['U0BOB', 'U0DAVE'], alreadyMembers: ['U0CAROL'], failed: [] });
  expect([...h.sandbox.channel(created.id)!.members]).toEqual(expect.arrayContaining(['U0BOB', 'U0CAROL', 'U0DAVE']));
  // Slack said who spoiled the batch: the others go in one more call, not one call per person (conversations.invite is tier 3).
  const sent = h.sandbox.calls('conversations.invite').slice(invites);
  expect(sent.map((c) => [c.args.users, c.error ?? 'ok'])).toEqual([
    ['U0BOB,U0CAROL,U0DAVE', 'already_in_channel'],
    ['U0BOB,U0DAVE', 'ok'],
  ]);
});
