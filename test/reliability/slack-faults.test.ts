/**
 * Slack misbehaving, all at once: 429 storms (injected and real per-channel
 * limits), 5xx, calls that hang past the client's timeout, and calls Slack
 * applied but whose response was lost. Every incident and approval still
 * finishes, with every Slack effect exactly once, and every Retry-After is
 * honoured before the same call is made again.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { requestApproval } from '../../src/approvals/client';
import { openIncident } from '../../src/incidents/client';
import { loadRunbookFile } from '../../src/runbook/load';
import { incidentResolveSignal } from '../../workflows/messages';
import { testClient, testWorker } from '../support/temporal';
import { slackHarness } from '../support/slack';
import { eventually } from '../support/eventually';

jest.setTimeout(180_000);

test('incidents and approvals finish exactly once through a storm of Slack faults', async () => {
  // Real rate limits on — #deploys takes a burst of 4 posts, then 1 a second — plus injected faults.
  // Tier limits are raised so the test spends its time on faults, not on Slack's 20-a-minute tier 2.
  const h = await slackHarness(
    { approverGroups: { release: { userGroups: ['@release-managers'] } } },
    { rateLimits: { perMinute: { t2: 300, t3: 300 }, postMessageBurst: 4 }, timeoutMs: 1000 },
  );
  const client: Client = await testClient();
  const w = await testWorker({ activityDeps: { integrations: h.integrations } });
  const { runbook } = await loadRunbookFile(path.resolve(__dirname, '../../runbooks/seed-example.yaml'));
  const stamp = Date.now().toString(36);
  const incidents = Array.from({ length: 6 }, (_, i) => `FLT-${stamp}-${i}`);
  const executions = Array.from({ length: 6 }, (_, i) => `flt-${stamp}-${i}`);

  const faults: Array<[string, Parameters<typeof h.sandbox.faults.inject>[1]]> = [
    ['conversations.create', { kind: 'drop_response', count: 2 }],
    ['conversations.create', { kind: '429', count: 2, retryAfterSeconds: 2 }],
    ['chat.postMessage', { kind: 'drop_response', count: 3 }],
    ['chat.postMessage', { kind: '500', count: 3 }],
    ['chat.postMessage', { kind: '429', count: 4, retryAfterSeconds: 1 }],
    ['chat.postMessage', { kind: 'hang', count: 1 }],
    ['conversations.invite', { kind: 'drop_response', count: 2 }],
    ['conversations.invite', { kind: '500', count: 1 }],
    ['conversations.setPurpose', { kind: 'hang', count: 1 }],
    ['usergroups.list', { kind: '429', count: 2, retryAfterSeconds: 1 }],
    ['conversations.list', { kind: '500', count: 2 }],
  ];
  for (const [method, spec] of faults) h.sandbox.faults.inject(method, spec);

  try {
    await w.runUntil(async () => {
      const handles = await Promise.all([
        ...incidents.map((id) => openIncident(client, runbook!, { 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'api', 'incident.description': 'faults' }, w.taskQueue)),
        ...executions.map((execution) =>
          requestApproval(client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], timeout: '5m', destination: { channel: '#deploys' } }, w.taskQueue),
        ),
      ]);
      // Wait until every card is up and every incident has its thread, then finish them.
      await eventually(
        'every approval card and every incident updates thread',
        () => {
          const cards = h.sandbox.messages('C0DEPLOYS').filter((m) => executions.some((e) => m.text.includes(`(${e})`)));
          const threads = incidents.filter((id) => {
            const ch = h.sandbox.channelByName(`incident-${id.toLowerCase()}`);
            return ch && h.sandbox.messages(ch.id).some((m) => m.text === `Updates for incident ${id}`);
          });
          return cards.length >= executions.length && threads.length === incidents.length;
        },
        120_000,
        200,
      );
      for (const id of incidents) await client.workflow.getHandle(`incident-${id}`).signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
      for (const e of executions) await client.workflow.getHandle(`approval:api:prod:${e}`).executeUpdate('decide', { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'api' }] });
      const all = Promise.all(handles.map((hd) => hd.result()));
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 90_000)))]);
      clearTimeout(timer);
      if (late) {
        // Say which run is stuck on what, rather than only timing out.
        const stuck = await Promise.all(
          handles.map(async (hd) => {
            const d = await hd.describe();
            const pending = d.raw.pendingActivities?.map((a) => `${a.activityType?.name} attempt ${a.attempt}: ${a.lastFailure?.message ?? ''}`) ?? [];
            return `${hd.workflowId} ${d.status.name} ${pending.join('; ')}`;
          }),
        );
        throw new Error(`runs did not finish:\n${stuck.join('\n')}`);
      }
      const results = await all;
      expect(results.map((r) => (r as { status: string }).status).sort()).toEqual([...Array(6).fill('approved'), ...Array(6).fill('resolved')].sort());
    });

    // Every injected fault fired.
    expect(h.sandbox.faults.armed()).toEqual({});
    // Exactly once: one channel, one notification and one thread root per incident; one card per approval.
    for (const id of incidents) {
      const channels = h.sandbox.workspaces()[0] && h.sandbox.channelByName(`incident-${id.toLowerCase()}`);
      expect(channels).toBeDefined();
      const msgs = h.sandbox.messages(channels!.id);
      expect(msgs.filter((m) => m.text.startsWith('🚨 SEV2 incident detected in api'))).toHaveLength(1);
      expect(msgs.filter((m) => m.text === `Updates for incident ${id}`)).toHaveLength(1);
      expect([...channels!.members].sort()).toEqual(expect.arrayContaining(['U0ALICE', 'U0BOB', 'U0CAROL']));
    }
    const creates = h.sandbox.calls('conversations.create').filter((c) => c.ok);
    expect(new Set(creates.map((c) => c.args.name)).size).toBe(creates.length);
    for (const e of executions) expect(h.sandbox.messages('C0DEPLOYS').filter((m) => m.text.includes(`(${e})`))).toHaveLength(1);

    // Retry-After honoured: the same call is not made again before Slack said it may be. Posts
    // (their metadata names the workflow and message) and channel names identify one call exactly.
    const calls = h.sandbox.calls();
    const limited = calls.filter((c) => c.status === 429 && c.retryAfter && (c.method === 'chat.postMessage' || c.method === 'conversations.create'));
    expect(limited.length).toBeGreaterThanOrEqual(6);
    for (const c of limited) {
      const again = calls.find((d) => d.seq > c.seq && d.method === c.method && JSON.stringify(d.args) === JSON.stringify(c.args));
      if (again) expect(again.at - c.at).toBeGreaterThanOrEqual(c.retryAfter! * 1000 - 50);
    }
  } finally {
    await w.close();
    await client.connection.close();
    await h.close();
  }
});
