/**
 * An approval card's update runs first as a local activity (docs/ARCHITECTURE.md,
 * "The path of a click"). When Slack answers it 429 with a Retry-After longer
 * than a local activity may wait, the Retry-After is waited on a workflow
 * timer and the update is made as a regular activity: the card shows the
 * decision, and chat.update was not called again before Slack said it may be.
 */
import type { Client } from '@temporalio/client';
import { requestApproval } from '../../src/approvals/client';
import { decideUpdate } from '../../workflows/messages';
import { testClient, testWorker } from '../support/temporal';
import { slackHarness } from '../support/slack';
import { eventually } from '../support/eventually';

jest.setTimeout(120_000);

const DEPLOYS = 'C0DEPLOYS';

test('a card update Slack holds off for longer than a local activity may wait is written after its Retry-After, as a regular activity', async () => {
  const h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } } });
  const client: Client = await testClient();
  const w = await testWorker({ activityDeps: { integrations: h.integrations } });
  const execution = `held-${Date.now().toString(36)}`;
  try {
    await w.runUntil(async () => {
      const handle = await requestApproval(client, { pipeline: 'held', stage: 'prod', execution, approverGroups: ['release', 'sre'], minApprovals: 2, timeout: '10m', destination: { channel: '#deploys' } }, w.taskQueue);
      const card = await eventually('the card', () => h.sandbox.messages(DEPLOYS).find((m) => m.text.includes(`(${execution})`)));
      // The first card update (carol's approval, 1 of 2) is held off for 15 s: more than the local activity's 10 s.
      h.sandbox.faults.inject('chat.update', { kind: '429', count: 1, retryAfterSeconds: 15 });
      await handle.executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'api' }] });
      await eventually('the card to say 1 of 2', () => JSON.stringify(h.sandbox.message(DEPLOYS, card.ts)?.blocks).includes('1 of 2'), 60_000, 200);
      expect(h.sandbox.faults.armed()).toEqual({});

      // Retry-After honoured: chat.update was not called again on the card before Slack said it may be.
      const updates = h.sandbox.calls('chat.update').filter((c) => c.args.ts === card.ts);
      const limited = updates.filter((c) => c.status === 429);
      expect(limited).toHaveLength(1);
      expect(updates.filter((c) => c.seq > limited[0].seq && c.at < limited[0].at + 15_000 - 50)).toEqual([]);
      expect(updates.filter((c) => c.ok)).toHaveLength(1);

      // Locally first; the Retry-After on a workflow timer (no workflow task held meanwhile); then once as a regular activity.
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toBe(true);
      expect(events.some((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds) === 15)).toBe(true);
      expect(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'updateMessage')).toHaveLength(1);
      await handle.terminate('test finished');
    });
  } finally {
    await w.close();
    await client.connection.close();
    await h.close();
  }
});
