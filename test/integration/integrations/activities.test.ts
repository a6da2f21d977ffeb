/**
 * The Slack activities against the sandbox: each one's success, each class
 * of failure (what Temporal retries, what it must not, and the message an
 * operator reads), connector permissions, and "applied, then the response
 * was lost" for every activity that Slack lets us make idempotent.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../activities';
import { slackHarness, type SlackHarness } from '../../support/slack';

// The activities' failures are what these tests assert; the mock's own failure logs would only be noise.
const silentLogger = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let h: SlackHarness;
let acts: ReturnType<typeof createActivities>;

/** Runs an activity as attempt `attempt` of workflow `wf`, like a worker would. */
function run<A extends unknown[], R>(fn: (...a: A) => Promise<R>, args: A, attempt = 1, wf = 'wf-test'): Promise<R> {
  const env = new MockActivityEnvironment({
    attempt,
    workflowExecution: { workflowId: wf, runId: 'run-1' },
    scheduledTimestampMs: Date.now(),
  } as never, { logger: silentLogger });
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
    slack: {
      connectors: {
        payments: { botToken: 'placeholder', channels: { create: ['inc-payments-*'], post: ['inc-payments-*', 'deploys'], archive: ['inc-payments-*'] } },
      },
      webhooks: {},
    },
    projects: { payments: { connector: 'payments', allowOrganization: false }, web: {} },
    approverGroups: { release: { users: ['U0DAVE'], emails: ['carol@example.com'], userGroups: [] } },
  });
  // The connector is its own app with its own token in the same sandbox workspace.
  (h.config.slack.connectors.payments as { botToken: string }).botToken = h.sandbox.createToken({ scopes: ['channels:manage', 'channels:read', 'chat:write', 'chat:write.public', 'channels:history', 'groups:write', 'groups:read'] });
  acts = createActivities({ workerIdentity: 'test', integrations: h.integrations });
});
afterAll(() => h.close());
beforeEach(() => {
  h.sandbox.faults.clear();
  h.sandbox.setRateLimits(false);
});

const org = 'organization';
let n = 0;
const uniqueName = (prefix = 'incident') => `${prefix}-${Date.now().toString(36)}-${++n}`;
const since = () => Math.floor(Date.now() / 1000) - 5;

describe('channels', () => {
  test('createChannel creates it with its purpose, normalizing the name like Slack', async () => {
    const name = uniqueName('Incident INC');
    const created = await run(acts.createChannel, [{ integration: org, name, purpose: 'Channel for incident 42', ownedSince: since() }]);
    const channel = h.sandbox.channel(created.id)!;
    expect(channel.name).toBe(name.toLowerCase().replace(/ /g, '-'));
    expect(channel.purpose.value).toBe('Channel for incident 42');
  });

  test('a name Slack would refuse fails before the call, saying why', async () => {
    const before = h.sandbox.calls('conversations.create').length;
    const f = await failure(run(acts.createChannel, [{ integration: org, name: 'incident.42!', ownedSince: since() }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('characters Slack refuses in channel names');
    expect(h.sandbox.calls('conversations.create').length).toBe(before);
  });

  test('applied but the response was lost: the retry adopts the channel, no second one', async () => {
    const name = uniqueName();
    h.sandbox.faults.inject('conversations.create', { kind: 'drop_response' });
    const first = await failure(run(acts.createChannel, [{ integration: org, name, ownedSince: since() }], 1));
    expect(first.nonRetryable).toBe(false);
    const retried = await run(acts.createChannel, [{ integration: org, name, ownedSince: since() }], 2);
    expect(retried.existing).toBe(true);
    expect(h.sandbox.channelByName(name)!.id).toBe(retried.id);
  });

  test("a name taken by a channel from before this incident fails clearly instead of adopting it", async () => {
    const name = uniqueName();
    await run(acts.createChannel, [{ integration: org, name, ownedSince: since() }]);
    const later = Math.floor(Date.now() / 1000) + 3600; // this incident began after that channel was made
    const f = await failure(run(acts.createChannel, [{ integration: org, name, ownedSince: later }], 2));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain(`Channel #${name} already exists and is not this incident's (it was created before this incident began`);
  });

  test('a name taken by an archived channel says Slack keeps archived names', async () => {
    const name = uniqueName();
    const made = await run(acts.createChannel, [{ integration: org, name, ownedSince: since() }]);
    await run(acts.archiveChannel, [{ integration: org, channel: made.id }]);
    const f = await failure(run(acts.createChannel, [{ integration: org, name, ownedSince: since() }]));
    expect(f.message).toContain('an archived channel has that name (Slack keeps archived names taken');
  });

  test('inviteUsers resolves @groups and emails, skips members, reports unknowns; repeating it invites nobody twice', async () => {
    const created = await run(acts.createChannel, [{ integration: org, name: uniqueName(), ownedSince: since() }]);
    const input = { integration: org, channel: created.id, users: ['@oncall', 'carol@example.com', 'nobody@example.com', '@no-such-group'] };
    const result = await run(acts.inviteUsers, [input]);
    expect(result.invited.sort()).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL']);
    expect(result.failed).toEqual([
      { user: 'nobody@example.com', error: 'users_not_found' },
      { user: '@no-such-group', error: 'no user or user group is named @no-such-group' },
    ]);
    const again = await run(acts.inviteUsers, [input], 2);
    expect(again.invited).toEqual([]);
    expect(again.alreadyMembers.sort()).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL']);
    expect([...h.sandbox.channel(created.id)!.members].filter((m) => m === 'U0ALICE')).toHaveLength(1);
  });

  test('@name is a user group when one has that handle, else the person with that username; neither is an error naming the handle', async () => {
    const created = await run(acts.createChannel, [{ integration: org, name: uniqueName(), ownedSince: since() }]);
    const result = await run(acts.inviteUsers, [{ integration: org, channel: created.id, users: ['@dave', '@sre-team', '@nobody-here'] }]);
    expect(result.invited.sort()).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE']);
    expect(result.failed).toEqual([{ user: '@nobody-here', error: 'no user or user group is named @nobody-here' }]);
  });

  test('usergroups.list (a tier-2 method) is asked once per integration, however many handles and invites', async () => {
    const before = h.sandbox.calls('usergroups.list').length;
    for (let i = 0; i < 3; i++) {
      const created = await run(acts.createChannel, [{ integration: org, name: uniqueName(), ownedSince: since() }]);
      await run(acts.inviteUsers, [{ integration: org, channel: created.id, users: ['@oncall', '@sre-team', '@release-managers', '@dave'] }]);
    }
    expect(h.sandbox.calls('usergroups.list').length - before).toBeLessThanOrEqual(1);
  });

  test('topic, purpose, pin and archive; pin and archive accept "already"', async () => {
    const created = await run(acts.createChannel, [{ integration: org, name: uniqueName(), ownedSince: since() }]);
    await run(acts.setChannelTopic, [{ integration: org, channel: created.id, topic: 'SEV1: checkout down' }]);
    await run(acts.setChannelPurpose, [{ integration: org, channel: `#${created.name}`, purpose: 'Incident 42' }]);
    const posted = await run(acts.postMessage, [{ integration: org, channel: created.id, text: 'summary', idempotencyKey: 'pin-me' }]);
    await run(acts.pinMessage, [{ integration: org, channel: created.id, ts: posted.ts }]);
    await run(acts.pinMessage, [{ integration: org, channel: created.id, ts: posted.ts }], 2);
    await run(acts.addBookmark, [{ integration: org, channel: created.id, title: 'Dashboard', link: 'https://grafana.example.com/d/checkout' }]);
    await run(acts.archiveChannel, [{ integration: org, channel: created.id }]);
    await run(acts.archiveChannel, [{ integration: org, channel: created.id }], 2);
    const channel = h.sandbox.channel(created.id)!;
    expect(channel.topic.value).toBe('SEV1: checkout down');
    expect(channel.purpose.value).toBe('Incident 42');
    expect(channel.archived).toBe(true);
    expect(h.sandbox.calls('pins.add').filter((c) => c.ok)).toHaveLength(1);
    expect(h.sandbox.calls('bookmarks.add').filter((c) => c.ok)).toHaveLength(1);
  });
});

describe('messages', () => {
  test('postMessage posts text, blocks and metadata; a retry after a lost response finds it instead of reposting', async () => {
    h.sandbox.faults.inject('chat.postMessage', { kind: 'drop_response' });
    const input = { integration: org, channel: '#deploys', text: 'Deploy api', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* api' } }] as never, idempotencyKey: 'card' };
    const f = await failure(run(acts.postMessage, [input], 1, 'wf-drop'));
    expect(f.nonRetryable).toBe(false);
    const found = await run(acts.postMessage, [input], 2, 'wf-drop');
    expect(found.existing).toBe(true);
    const posted = h.sandbox.messages('C0DEPLOYS').filter((m) => m.text === 'Deploy api');
    expect(posted).toHaveLength(1);
    expect(posted[0].ts).toBe(found.ts);
  });

  test('thread replies are idempotent too, and updates replace the message', async () => {
    const root = await run(acts.postMessage, [{ integration: org, channel: 'C0DEPLOYS', text: 'root', idempotencyKey: 'root' }], 1, 'wf-thread');
    h.sandbox.faults.inject('chat.postMessage', { kind: 'drop_response' });
    const reply = { integration: org, channel: 'C0DEPLOYS', text: 'reply 1', threadTs: root.ts, idempotencyKey: 'reply-1' };
    await failure(run(acts.postMessage, [reply], 1, 'wf-thread'));
    await run(acts.postMessage, [reply], 2, 'wf-thread');
    expect(h.sandbox.replies('C0DEPLOYS', root.ts).filter((m) => m.text === 'reply 1')).toHaveLength(1);
    await run(acts.updateMessage, [{ integration: org, channel: 'C0DEPLOYS', ts: root.ts, text: 'root (edited)' }]);
    await run(acts.updateMessage, [{ integration: org, channel: 'C0DEPLOYS', ts: root.ts, text: 'root (edited)' }], 2);
    expect(h.sandbox.message('C0DEPLOYS', root.ts)!.text).toBe('root (edited)');
  });

  test('posting where the bot is not a member of a private channel names the fix', async () => {
    h.sandbox.seedChannels([{ id: 'C0SECRET', name: 'secret', isPrivate: true, members: ['alice'] }]);
    const f = await failure(run(acts.postMessage, [{ integration: org, channel: 'C0SECRET', text: 'hi', idempotencyKey: 'x' }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/channel_not_found|not_in_channel/);
    expect(f.message).toMatch(/invite the bot/);
  });

  test('an unknown channel name fails clearly before posting', async () => {
    const f = await failure(run(acts.postMessage, [{ integration: org, channel: '#no-such-channel', text: 'hi', idempotencyKey: 'x' }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('Channel #no-such-channel does not exist');
  });

  test('invalid Block Kit is not retried, and says to check the formatting', async () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    const f = await failure(run(acts.postMessage, [{ integration: org, channel: 'C0DEPLOYS', text: 'x', blocks: blocks as never, idempotencyKey: 'blocks' }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('invalid_blocks');
    expect(f.message).toContain('check the message formatting');
  });
});

describe('failures Temporal retries, and how', () => {
  test("a 429 is retried after Slack's Retry-After", async () => {
    h.sandbox.faults.inject('chat.postMessage', { kind: '429', retryAfterSeconds: 7 });
    const f = await failure(run(acts.postMessage, [{ integration: org, channel: 'C0DEPLOYS', text: 'x', idempotencyKey: 'rl' }]));
    expect(f.nonRetryable).toBe(false);
    expect(f.type).toBe('SlackRateLimited');
    expect(f.nextRetryDelay).toBe('7s');
    expect(f.message).toContain('retrying after 7s as Slack asked');
  });

  test('5xx and timeouts are retryable', async () => {
    h.sandbox.faults.inject('chat.postMessage', { kind: '500' });
    expect((await failure(run(acts.postMessage, [{ integration: org, channel: 'C0DEPLOYS', text: 'x', idempotencyKey: '5xx' }]))).nonRetryable).toBe(false);
    h.sandbox.faults.inject('conversations.setTopic', { kind: 'hang' });
    const hung = await failure(run(acts.setChannelTopic, [{ integration: org, channel: 'C0DEPLOYS', topic: 't' }]));
    expect(hung.nonRetryable).toBe(false);
  });

  test('a missing scope names the scope to add', async () => {
    const token = h.sandbox.createToken({ scopes: ['chat:write', 'channels:read'] });
    const { createActivities: make } = await import('../../../activities');
    const { IntegrationRegistry } = await import('../../../src/slack/integrations');
    const { ConfigSchema } = await import('../../../src/config/schema');
    const narrow = make({ workerIdentity: 't', integrations: new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { botToken: token, apiUrl: h.sandbox.apiUrl } } })) });
    const f = await failure(run(narrow.createChannel, [{ integration: org, name: uniqueName(), ownedSince: since() }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/missing_scope — the bot token lacks the scope [a-z:,.]*channels:manage/);
  });

  test('a revoked token says to reinstall or fix the token', async () => {
    const token = h.sandbox.createToken({ scopes: ['chat:write'] });
    h.sandbox.revokeToken(token);
    const { IntegrationRegistry } = await import('../../../src/slack/integrations');
    const { ConfigSchema } = await import('../../../src/config/schema');
    const revoked = createActivities({ workerIdentity: 't', integrations: new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: { botToken: token, apiUrl: h.sandbox.apiUrl } } })) });
    const f = await failure(run(revoked.postMessage, [{ integration: org, channel: 'C0DEPLOYS', text: 'x', idempotencyKey: 'y' }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('account_inactive — the token was revoked or its user or workspace deactivated: reinstall the app');
  });
});

describe('connector permissions', () => {
  const payments = 'connector:payments';
  test('a connector may create and post where its rules allow', async () => {
    const name = uniqueName('inc-payments');
    const created = await run(acts.createChannel, [{ integration: payments, name, ownedSince: since() }]);
    const posted = await run(acts.postMessage, [{ integration: payments, channel: created.id, text: 'payments incident', idempotencyKey: 'p' }]);
    expect(h.sandbox.message(created.id, posted.ts)!.text).toBe('payments incident');
  });

  test('a call outside its rules fails before reaching Slack, naming the connector and the rule', async () => {
    const before = h.sandbox.calls('conversations.create').length;
    const f = await failure(run(acts.createChannel, [{ integration: payments, name: 'inc-web-1', ownedSince: since() }]));
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toBe('Integration connector:payments may not create #inc-web-1: its channels.create permission allows only "inc-payments-*"');
    expect(h.sandbox.calls('conversations.create').length).toBe(before);
    const g = await failure(run(acts.postMessage, [{ integration: payments, channel: '#general', text: 'x', idempotencyKey: 'q' }]));
    expect(g.message).toContain('may not post to #general');
  });

  test('projects pick their integration; a project without organization fallback cannot use it', async () => {
    expect(await run(acts.resolveIntegration, [{ project: 'payments' }])).toBe('connector:payments');
    expect(await run(acts.resolveIntegration, [{ project: 'web' }])).toBe('organization');
    const f = await failure(run(acts.resolveIntegration, [{ project: 'web', connector: 'payments' }]));
    expect(f.message).toContain('Project "web" may not use connector "payments"');
  });
});

describe('directory', () => {
  test('approver groups resolve IDs, emails and handles; unknown groups are refused', async () => {
    const r = await run(acts.resolveApprovers, [{ integration: org, groups: ['release'], requestedBy: 'bob@example.com' }]);
    expect(r.approvers.release.sort()).toEqual(['U0CAROL', 'U0DAVE']);
    expect(r.requester).toBe('U0BOB');
    const f = await failure(run(acts.resolveApprovers, [{ integration: org, groups: ['nope'] }]));
    expect(f.message).toContain('Unknown approver group "nope"');
  });
});
