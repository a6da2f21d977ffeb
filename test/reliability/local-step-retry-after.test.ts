/**
 * A runbook's Slack step runs as a local activity (docs/ARCHITECTURE.md, "The
 * path of a runbook step"). When Slack answers it with a 429 whose Retry-After
 * goes past the local activity's time, the same call is made again as a
 * regular activity: the post is in the channel once, and not sent again before
 * Slack said it may be.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { openIncident } from '../../src/incidents/client';
import { loadRunbookFile } from '../../src/runbook/load';
import { incidentResolveSignal } from '../../workflows/messages';
import { testClient, testWorker } from '../support/temporal';
import { slackHarness } from '../support/slack';
import { eventually } from '../support/eventually';

jest.setTimeout(120_000);

test('a step Slack holds off for longer than a local activity may wait is posted once, after its Retry-After', async () => {
  const h = await slackHarness({}, { rateLimits: false });
  const client: Client = await testClient();
  const w = await testWorker({ activityDeps: { integrations: h.integrations } });
  const { runbook } = await loadRunbookFile(path.resolve(__dirname, '../fixtures/runbooks/incidents/lifecycle.yaml'));
  const id = `LRA-${Date.now().toString(36)}`;
  // The first post of the run (the notification) is held off for 15 s: more than the local activity's 10 s.
  h.sandbox.faults.inject('chat.postMessage', { kind: '429', count: 1, retryAfterSeconds: 15 });
  try {
    await w.runUntil(async () => {
      const handle = await openIncident(client, runbook!, { 'incident.id': id, 'incident.title': 'held off', 'incident.severity': 'SEV2', 'incident.service': 'api', 'incident.description': 'retry-after' }, w.taskQueue);
      const channelName = `incident-${id.toLowerCase()}`;
      await eventually('the updates thread', () => {
        const ch = h.sandbox.channelByName(channelName);
        return !!ch && h.sandbox.messages(ch.id).some((m) => m.text === `Updates for incident ${id}`);
      }, 60_000, 200);
      await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
      expect((await handle.result()).status).toBe('resolved');

      const channel = h.sandbox.channelByName(channelName)!;
      expect(h.sandbox.messages(channel.id).filter((m) => m.text === '🚨 SEV2 incident in api')).toHaveLength(1);
      expect(h.sandbox.faults.armed()).toEqual({});

      // Retry-After honoured: the same post was not made again before Slack said it may be.
      const calls = h.sandbox.calls('chat.postMessage');
      const limited = calls.find((c) => c.status === 429)!;
      const again = calls.filter((d) => d.seq > limited.seq && JSON.stringify(d.args) === JSON.stringify(limited.args));
      expect(again.length).toBeGreaterThanOrEqual(1);
      for (const d of again) expect(d.at - limited.at).toBeGreaterThanOrEqual(15_000 - 50);

      // The step ran locally first and waited the Retry-After on a workflow timer (no workflow task
      // held meanwhile), then, out of its local time, was made as a regular activity.
      const history = await handle.fetchHistory();
      expect((history.events ?? []).some((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds) === 15)).toBe(true);
      const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'postMessage');
      expect(scheduled.length).toBe(1);
      expect((history.events ?? []).some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toBe(true);
    });
  } finally {
    await w.close();
    await client.connection.close();
    await h.close();
  }
});
