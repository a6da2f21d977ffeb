/**
 * Add Users resolves each entry on its own: a lookup Slack does not answer
 * (usergroups.list failing, or refused for a missing scope) is that entry's
 * failure, and everyone who resolved is invited all the same.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../activities';
import { slackHarness, type SlackHarness } from '../../support/slack';

const silentLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let h: SlackHarness;

function run<A extends unknown[], R>(fn: (...a: A) => Promise<R>, args: A, attempt = 1): Promise<R> {
  const env = new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: 'wf-invite', runId: 'run-1' }, scheduledTimestampMs: Date.now() } as never, { logger: silentLogger });
  return env.run(fn as never, ...(args as unknown as never[])) as Promise<R>;
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected the activity to fail');
}

beforeAll(async () => {
  h = await slackHarness({
    slack: { connectors: { nogroups: { botToken: 'placeholder', channels: { create: [], post: ['*'], archive: [] } } }, webhooks: {} },
    projects: { ops: { connector: 'nogroups', allowOrganization: false } },
  });
  // An app installed without usergroups:read: Slack refuses usergroups.list for good (missing_scope).
  (h.config.slack.connectors.nogroups as { botToken: string }).botToken = h.sandbox.createToken({
    scopes: ['channels:read', 'channels:manage', 'groups:read', 'groups:write', 'users:read', 'users:read.email', 'chat:write'],
  });
});
afterAll(() => h.close());
afterEach(() => h.sandbox.faults.clear());

let n = 0;
const freshChannel = () => h.sandbox.seedChannels([{ name: `war-room-${Date.now().toString(36)}-${++n}`, members: ['bot'] }])[0];
const members = (id: string) => [...h.sandbox.channel(id)!.members].filter((m) => m !== h.sandbox.botUserId).sort();

test('usergroups.list failing: the people given by id, email and @name are invited at once; the group follows on the retry', async () => {
  // A fresh context each time: nothing remembered of an earlier list.
  const acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
  const channel = freshChannel();
  const input = { integration: 'organization', channel: channel.id, users: ['U0ERIN', 'carol@example.com', '@dave', '@oncall'] };
  h.sandbox.faults.inject('usergroups.list', { kind: '500', count: 100 });

  const f = await failure(run(acts.inviteUsers, [input]));
  // Slack's 500 is worth retrying, and the failure names the entry it held up.
  expect(f.nonRetryable).toBeFalsy();
  expect(f.message).toContain('@oncall');
  expect(members(channel.id)).toEqual(['U0CAROL', 'U0DAVE', 'U0ERIN']);

  h.sandbox.faults.clear();
  const retry = await run(acts.inviteUsers, [input], 2);
  expect(retry.invited.sort()).toEqual(['U0ALICE', 'U0BOB']);
  expect(retry.failed).toEqual([]);
  expect(members(channel.id)).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0ERIN']);
});

test('usergroups.list refused for good (missing_scope): that failure is reported for the group, everyone else is invited', async () => {
  const acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
  const channel = freshChannel();
  const result = await run(acts.inviteUsers, [{ integration: 'connector:nogroups', channel: channel.id, users: ['U0ERIN', 'carol@example.com', '@dave', '@oncall'] }]);
  expect(result.invited.sort()).toEqual(['U0CAROL', 'U0DAVE', 'U0ERIN']);
  expect(result.failed).toEqual([{ user: '@oncall', error: 'missing_scope: usergroups.list needs usergroups:read' }]);
  expect(members(channel.id)).toEqual(['U0CAROL', 'U0DAVE', 'U0ERIN']);
});
