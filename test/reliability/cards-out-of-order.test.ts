/**
 * Card updates reaching Slack out of order. The sandbox holds each card's
 * first chat.update (a `latency` fault) while the approval goes on and is
 * decided: the held update was sent first and is applied last unless
 * Signalroom keeps it from being written last. Every card must end final.
 *
 * Two ways an old update outlives its sender, each on a busy machine:
 * - the Slack client gives up on the call (its timeout) and Slack applies it later;
 * - Temporal gives up on the activity (its start-to-close timeout) while the call is still on its way.
 */
import type { Client } from '@temporalio/client';
import { startApproval } from '../../src/approvals/client';
import type { ApprovalResult } from '../../core/approval/types';
import { decideUpdate } from '../../workflows/messages';
import { eventually } from '../support/eventually';
import { slackHarness, type SlackHarness } from '../support/slack';
import { runningWorker, type RunningWorker } from '../support/temporal';

jest.setTimeout(240_000);

const DEPLOYS = 'C0DEPLOYS';
const APPROVER_GROUPS = { release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } };

interface Stack {
  h: SlackHarness;
  worker: RunningWorker;
  client: Client;
}

async function stack(slackTimeoutMs: number): Promise<Stack> {
  const h = await slackHarness({ approverGroups: APPROVER_GROUPS }, { timeoutMs: slackTimeoutMs });
  const worker = await runningWorker({ activityDeps: { integrations: h.integrations } });
  return { h, worker, client: worker.client };
}

/**
 * Starts `count` approvals needing two approvals, holds the first card update
 * of each for `latencyMs`, and decides each: carol (1 of 2), then alice (approved).
 * Returns the cards' timestamps once every run is decided and every held call answered.
 */
async function decideWhileUpdatesAreHeld(s: Stack, count: number, latencyMs: number): Promise<Map<string, string>> {
  const { h, client, worker } = s;
  const pipeline = `order-${Date.now().toString(36)}`;
  const executions = Array.from({ length: count }, (_, i) => `run-${i}`);
  await Promise.all(
    executions.map((execution) =>
      startApproval(client, { pipeline, stage: 'prod', execution, approverGroups: ['release', 'sre'], minApprovals: 2, timeout: '30m', destination: { channel: '#deploys' } }, worker.taskQueue),
    ),
  );
  const cards = await eventually('every card posted', () => {
    const found = new Map<string, string>();
    for (const m of h.sandbox.messages(DEPLOYS)) {
      const execution = !m.threadTs && m.text.includes(pipeline) ? /\((run-\d+)\)/.exec(m.text)?.[1] : undefined;
      if (execution) found.set(execution, m.ts);
    }
    return found.size === count && found;
  });

  const updatesBefore = h.sandbox.calls('chat.update').length;
  h.sandbox.faults.inject('chat.update', { kind: 'latency', latencyMs, count });
  const ids = executions.map((execution) => `approval:${pipeline}:prod:${execution}`);
  // The first approval of each run: its card update ("1 of 2") is the one held.
  await Promise.all(ids.map((id) => client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'api' }] })));
  await eventually('every first card update sent', () => h.sandbox.calls('chat.update').length - updatesBefore >= count);
  // The deciding approval, while the first update is still held.
  await Promise.all(ids.map((id) => client.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0ALICE' }, via: 'api' }] })));

  const results: ApprovalResult[] = await Promise.all(ids.map((id) => client.workflow.getHandle(id).result()));
  expect(results.map((r) => r.status)).toEqual(executions.map(() => 'approved'));
  // The held calls are applied (answered) only after their wait: the definite point to read the cards at.
  await eventually(
    'every card update answered by the sandbox',
    () => h.sandbox.faults.armed()['chat.update'] === undefined && h.sandbox.calls('chat.update').slice(updatesBefore).every((c) => c.status !== undefined),
    latencyMs + 30_000,
  );
  return cards;
}

function notFinal(h: SlackHarness, cards: Map<string, string>): string[] {
  return [...cards].flatMap(([execution, ts]) => {
    const card = h.sandbox.message(DEPLOYS, ts)!;
    const blocks = JSON.stringify(card.blocks);
    const final = card.text.includes('Approved') && blocks.includes('Approved by <@U0CAROL>, <@U0ALICE>') && !blocks.includes('"actions"');
    return final ? [] : [`${execution}: ${card.text}`];
  });
}

describe('card updates delivered out of order', () => {
  test('the Slack client gives up on an update that Slack applies later: every card ends final', async () => {
    // A 2 s client timeout, updates held 5 s: the client has given up (and the activity retried) long before.
    const s = await stack(2_000);
    try {
      const cards = await decideWhileUpdatesAreHeld(s, 4, 5_000);
      expect(notFinal(s.h, cards)).toEqual([]);
      // The card's metadata carries its version beside the post's idempotency key (chat.update keeps what it is sent).
      for (const ts of cards.values()) {
        expect(s.h.sandbox.message(DEPLOYS, ts)!.metadata?.event_payload).toMatchObject({ signalroom_key: expect.any(String), signalroom_version: expect.any(Number) });
      }
    } finally {
      await s.worker.stop();
      await s.h.close();
    }
  });

  test('Temporal gives up on an update activity while its call is on the way: every card ends final', async () => {
    // The client waits a minute; the activity's start-to-close timeout (30 s) passes first, and Temporal retries it.
    const s = await stack(60_000);
    try {
      const cards = await decideWhileUpdatesAreHeld(s, 3, 35_000);
      expect(notFinal(s.h, cards)).toEqual([]);
    } finally {
      await s.worker.stop();
      await s.h.close();
    }
  });
});
