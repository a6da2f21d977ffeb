/**
 * Attack: flood one approval with outsiders' clicks until its history is
 * too long to load, its replies hold up the outcome, or Temporal terminates
 * it. Each refused click used to add about eight events.
 */
import { startApproval } from '../../src/approvals/client';
import { DEFAULT_CLICK_RATE_LIMIT } from '../../src/server/click-delivery';
import { APPROVE_ACTION } from '../../core/slack/blocks/approval-card';
import { OTHER_REFUSERS, REFUSALS_KEPT, REFUSERS_COUNTED, REPLIES_PER_PERSON } from '../../core/approval/policy';
import { FINAL_REPLIES, REPLY_BATCH } from '../../workflows/approval/workflow';
import { approvalDecisionSignal, approvalStateQuery } from '../../workflows/messages';
import { card } from '../support/approvals';
import { CHANNEL, clickPayload, eventually, formOf, securityStack, type SecurityStack } from '../support/security';

const TOKEN = 'flood-reader-token-0123456789ab';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ apiTokens: [{ name: 'reader', token: TOKEN, permissions: ['approvals:read'] }] });
});
afterAll(() => s?.close());

async function pendingApproval(execution: string) {
  const { workflowId } = await startApproval(s.client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '30m' }, s.worker.taskQueue);
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  return { workflowId, ts: posted.ts };
}

async function pool<T>(items: T[], width: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

test('10,000 outsider clicks, then the deciding click: still pending until then, history bounded, a backlog of replies does not hold up the outcome', async () => {
  const { workflowId, ts } = await pendingApproval(`flood-${Date.now().toString(36)}`);
  const outsiders = Array.from({ length: 25 }, (_, i) => `U0FLOOD${i.toString().padStart(2, '0')}`);
  const clicks = Array.from({ length: 10_000 }, (_, i) => i);
  const statuses = new Map<number, number>();
  const floodStarted = Date.now();
  await pool(clicks, 32, async (i) => {
    const click = clickPayload({ userId: outsiders[i % outsiders.length], messageTs: ts, actionId: APPROVE_ACTION, value: workflowId, responseUrl: `${s.sandbox.url}/actions/T0SANDBOX/1/flood` });
    (click.actions[0] as { action_ts: string }).action_ts = `${1700000000 + i}.000001`;
    const res = await s.slackPost('/slack/interactions', formOf(click), s.sandbox.signingSecret);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  });
  const floodMs = Date.now() - floodStarted;
  // Every click was acknowledged, as Slack needs.
  expect([...statuses.entries()]).toEqual([[200, 10_000]]);

  const handle = s.client.workflow.getHandle(workflowId);
  const flooded = await handle.query(approvalStateQuery);
  expect(flooded.status).toBe('pending');
  expect(flooded.decisions).toEqual([]);
  expect(flooded.refused.length).toBeLessThanOrEqual(REFUSALS_KEPT);
  const refusedTotal = Object.values(flooded.refusedCounts ?? {}).reduce((a, b) => a + b, 0);
  // The rate limit let a burst per person through, then one per refill; the rest never reached the run.
  const { burst, refillMs } = DEFAULT_CLICK_RATE_LIMIT;
  expect(refusedTotal).toBeGreaterThanOrEqual(outsiders.length * burst);
  expect(refusedTotal).toBeLessThanOrEqual(outsiders.length * (burst + Math.ceil(floodMs / refillMs)));
  const events = (await handle.fetchHistory()).events?.length ?? 0;
  expect(events).toBeLessThan(2_000);

  // A backlog of replies when the decision comes: 150 more outsiders, refused once each, while every
  // answer from Slack takes 2 s (replies go out 10 at a time, so at most 5 a second drain).
  s.sandbox.setLatency(2_000);
  const lastOutsiders = Array.from({ length: 150 }, (_, i) => `U0BACKLOG${i.toString().padStart(3, '0')}`);
  await pool(lastOutsiders, 32, async (userId) => {
    const res = await s.slackPost('/slack/interactions', formOf(clickPayload({ userId, messageTs: ts, actionId: APPROVE_ACTION, value: workflowId, responseUrl: `${s.sandbox.url}/actions/T0SANDBOX/1/flood` })), s.sandbox.signingSecret);
    expect(res.status).toBe(200);
  });
  // The deciding click, with a pipeline already waiting on /wait.
  const waiting = s.api('GET', `/approvals/${encodeURIComponent(workflowId)}/wait?timeout=60s`, TOKEN);
  const click = await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: ts, actionId: APPROVE_ACTION });
  expect(click.response.status).toBe(200);
  const answer = await waiting;
  s.sandbox.setLatency(0);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ status: 'approved', proceed: true });

  // In the run's history: the replies still owed when carol's decision arrived (each refused person is
  // answered for their first REPLIES_PER_PERSON refusals), and the replies sent between it and the outcome.
  const history = (await handle.fetchHistory()).events ?? [];
  type HistoryEvent = (typeof history)[number];
  const clicker = (e: HistoryEvent) => {
    // Clicks only: the hold board's answer (holdsChanged) is a signal too.
    const signal = e.workflowExecutionSignaledEventAttributes;
    const payload = signal?.signalName === 'approvalDecision' ? signal.input?.payloads?.[0]?.data : undefined;
    return payload ? (JSON.parse(Buffer.from(payload).toString()) as { user: { id: string } }).user.id : undefined;
  };
  const decision = history.findIndex((e) => clicker(e) === 'U0CAROL');
  expect(decision).toBeGreaterThan(0);
  const isReply = (e: HistoryEvent) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'respondToClick';
  const refusals = new Map<string, number>();
  for (const id of history.slice(0, decision).map(clicker)) if (id) refusals.set(id, (refusals.get(id) ?? 0) + 1);
  expect(lastOutsiders.every((id) => refusals.get(id) === 1)).toBe(true);
  const due = [...refusals.values()].reduce((sum, n) => sum + Math.min(n, REPLIES_PER_PERSON), 0);
  const owed = due - history.slice(0, decision).filter(isReply).length;
  const sentAfter = history.slice(decision).filter(isReply).length;
  // The test made a backlog, and the outcome did not wait for it: one batch in flight, then the last replies (carol's among them).
  expect(owed).toBeGreaterThan(REPLY_BATCH + FINAL_REPLIES);
  expect(sentAfter).toBeLessThanOrEqual(REPLY_BATCH + FINAL_REPLIES);
  expect(history.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
}, 240_000);

test('1,500 refusals from distinct people sent straight to the run: its state stays bounded and the decision still lands', async () => {
  const { workflowId, ts } = await pendingApproval(`flood-direct-${Date.now().toString(36)}`);
  const handle = s.client.workflow.getHandle(workflowId);
  const people = Array.from({ length: 1_500 }, (_, i) => `U0MANY${i}`);
  await pool(people, 32, async (id) => {
    await handle.signal(approvalDecisionSignal, { verb: 'approve', user: { id }, provenance: { integrations: ['organization'], channelId: CHANNEL, messageTs: ts }, channelId: CHANNEL, messageTs: ts });
  });
  const state = await eventually('every refusal counted', async () => {
    const st = await handle.query(approvalStateQuery);
    return Object.values(st.refusedCounts ?? {}).reduce((a, b) => a + b, 0) === people.length ? st : undefined;
  }, 120_000);
  expect(state.refused.length).toBe(REFUSALS_KEPT);
  // The first REFUSERS_COUNTED people are counted one by one, everyone after them together.
  expect(Object.keys(state.refusedCounts ?? {})).toHaveLength(REFUSERS_COUNTED + 1);
  expect(state.refusedCounts?.[OTHER_REFUSERS]).toBe(people.length - REFUSERS_COUNTED);
  expect(state.status).toBe('pending');
  const decided = await s.sandbox.click({ userId: 'U0DAVE', channelId: CHANNEL, messageTs: ts, actionId: APPROVE_ACTION });
  expect(decided.response.status).toBe(200);
  expect((await handle.result()).status).toBe('approved');
}, 240_000);

test('a run continued as new (what a long history makes Temporal suggest) carries its card, refusals and approvers, and takes the deciding click', async () => {
  const execution = `continued-${Date.now().toString(36)}`;
  const request = { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '30m', minApprovals: 2 };
  const { workflowId } = await startApproval(s.client, request, s.worker.taskQueue);
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  await s.sandbox.click({ userId: 'U0ERIN', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  const handle = s.client.workflow.getHandle(workflowId);
  const before = await eventually('carol and erin recorded', async () => {
    const st = await handle.query(approvalStateQuery);
    return st.decisions.length === 1 && st.refused.length === 1 ? st : undefined;
  });
  // Carol's approval is on the card (its first update, version 1) before the run is replaced: terminated
  // earlier, that update could still land after the continuation's own, which would then be the stale one.
  await eventually('the card to say 1 of 2', () => card(s.sandbox, execution)!.text.includes('1 of 2'));
  const described = await handle.describe();
  // The continuation exactly as the workflow hands it over (ApprovalCarry), started under the same id.
  await handle.terminate('replaced by its continuation in this test');
  await s.client.workflow.start('approval', {
    taskQueue: s.worker.taskQueue,
    workflowId,
    args: [(await described.memo)?.request ?? before.request, { state: before, startedAt: Date.parse(before.expiresAt) - 30 * 60_000, nextReminder: Infinity, reminders: 0, outbox: [], cardIntegration: 'organization', cardVersion: 1 }],
  });
  await s.sandbox.click({ userId: 'U0DAVE', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  const result = await s.client.workflow.getHandle(workflowId).result();
  expect(result.status).toBe('approved');
  expect(result.decisions.map((d: { user: { id: string } }) => d.user.id)).toEqual(['U0CAROL', 'U0DAVE']);
  expect(result.refused.map((r: { user: { id: string } }) => r.user.id)).toEqual(['U0ERIN']);
  // One card, updated in place: the continuation posted nothing new.
  expect(s.sandbox.messages(CHANNEL).filter((m) => !m.threadTs && m.text.includes(`(${execution})`))).toHaveLength(1);
  await eventually('the card to say approved', () => JSON.stringify(card(s.sandbox, execution)!.blocks).includes('Approved by'));
}, 120_000);
