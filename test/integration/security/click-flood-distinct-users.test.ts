/**
 * Attack: 1,000 signed clicks on one approval, each claiming a different
 * person (only a holder of a signing secret can make those). The per-person
 * limit never applied, every click reached the run, and its refusal counts
 * grew by one key per made-up id.
 *
 * The server limits clicks per run as well as per person; the run counts at
 * most REFUSERS_COUNTED people one by one and the rest together.
 */
import { startApproval } from '../../../src/approvals/client';
import { DEFAULT_CLICK_RATE_LIMIT } from '../../../src/server/click-delivery';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { OTHER_REFUSERS, recordRefusal, REFUSERS_COUNTED } from '../../../core/approval/policy';
import { approvalStateQuery } from '../../../workflows/messages';
import { card } from '../../support/approvals';
import { CHANNEL, clickPayload, eventually, formOf, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack();
});
afterAll(() => s?.close());

async function pool<T>(items: T[], width: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

test('1,000 clicks each claiming another person: the run takes a bounded share, and a real approver still decides', async () => {
  const execution = `distinct-${Date.now().toString(36)}`;
  const { workflowId } = await startApproval(s.client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '30m' }, s.worker.taskQueue);
  const { ts } = await eventually('the card', () => card(s.sandbox, execution));
  const people = Array.from({ length: 1_000 }, (_, i) => `U0FAKE${i.toString().padStart(4, '0')}`);
  const statuses = new Map<number, number>();
  const started = Date.now();
  await pool(people, 32, async (userId) => {
    const res = await s.slackPost('/slack/interactions', formOf(clickPayload({ userId, messageTs: ts, actionId: APPROVE_ACTION, value: workflowId, responseUrl: `${s.sandbox.url}/actions/T0SANDBOX/1/distinct` })), s.sandbox.signingSecret);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  });
  const floodMs = Date.now() - started;
  expect([...statuses.entries()]).toEqual([[200, 1_000]]);

  // The deciding click: a person told they were throttled clicks again a moment later.
  const handle = s.client.workflow.getHandle(workflowId);
  await eventually('carol’s decision', async () => {
    if ((await handle.query(approvalStateQuery)).status === 'approved') return true;
    await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: ts, actionId: APPROVE_ACTION });
    return undefined;
  });
  const state = await handle.query(approvalStateQuery);
  const reached = Object.values(state.refusedCounts ?? {}).reduce((a, b) => a + b, 0);
  const { runBurst, runRefillMs } = DEFAULT_CLICK_RATE_LIMIT;
  expect(reached).toBeGreaterThan(0);
  expect(reached).toBeLessThanOrEqual(runBurst + Math.ceil(floodMs / runRefillMs));
  expect(reached).toBeLessThan(people.length);
});

test('beyond REFUSERS_COUNTED people, refusals are counted together and not answered', () => {
  const state = { refused: [], refusedCounts: {} as Record<string, number> };
  const at = '2026-01-01T00:00:00Z';
  for (let i = 0; i < REFUSERS_COUNTED + 50; i++) recordRefusal(state, { verb: 'approve', user: { id: `U0P${i}` }, at, why: 'no' } as never);
  expect(Object.keys(state.refusedCounts)).toHaveLength(REFUSERS_COUNTED + 1);
  expect(state.refusedCounts[OTHER_REFUSERS]).toBe(50);
  // A counted person keeps their own count; an id that is no Slack user id (constructor, __proto__) is never a key.
  expect(recordRefusal(state, { verb: 'approve', user: { id: 'U0P1' }, at, why: 'no' } as never)).toBe(2);
  const fresh = { refused: [], refusedCounts: {} as Record<string, number> };
  for (const id of ['constructor', '__proto__', 'toString']) recordRefusal(fresh, { verb: 'approve', user: { id }, at, why: 'no' } as never);
  expect(fresh.refusedCounts).toEqual({ [OTHER_REFUSERS]: 3 });
});
