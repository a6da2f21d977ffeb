/**
 * Attack: getting a deploy past a standing hold by timing. The hold board
 * works out holds for every approval only when a hold changes; between
 * changes it looks at the approvals new since its last pass
 * (workflows/holds/board.ts). Mallory sends a burst of deploy requests
 * during a SEV1, so that most of them land in passes where nothing changed,
 * and had two more requested before the incident opened, so that they
 * subscribed to a board that held nothing. She also sends the board a
 * subscription of her own that says `quiet` (a field of a protocol the board
 * no longer has: it told such a subscriber nothing until a hold changed).
 * Every card is held from its first post, an approve is refused, and the
 * incident's resolution lifts every hold (SECURITY.md, "Holds, exceptions
 * and break-glass").
 */
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { openIncident } from '../../../src/incidents/client';
import { holdBoardId } from '../../../workflows/holds/board';
import { approvalDecisionSignal, approvalStateQuery, holdSubscribeSignal, incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { card, CHANNEL, eventually, uniqueExecution, visibleText } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { uniqueIncidentId } from '../../support/incidents';
import { HOLDS_RUNBOOK } from '../../support/holds';

let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({
    approverGroups: { release: { userGroups: ['@release-managers'] } },
    deploys: { holds: [{ severities: ['SEV1'], stages: ['production'], services: ['[incident.service]'] }] },
  }));
});
afterAll(() => stack?.close());

const BURST = 12;

test('attack: a burst of deploys during a SEV1, two asked for before it, and a "quiet" subscription: every card held from its first post, none approved', async () => {
  const service = `svc-${uniqueExecution()}`;
  const request = (execution: string) =>
    requestApproval(stack.client, normalizeApprovalRequest({ pipeline: 'web', service, stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }), stack.worker.taskQueue);

  // Two requested before the incident: their cards go up unheld.
  const early = [uniqueExecution('early'), uniqueExecution('early')];
  const earlyHandles = await Promise.all(early.map(request));
  await eventually('the early cards', () => early.every((e) => card(stack.sandbox, e)));

  const id = uniqueIncidentId('BURST').toLowerCase();
  const incident = await openIncident(stack.client, HOLDS_RUNBOOK, { 'incident.id': id, 'incident.severity': 'SEV1', 'incident.service': service }, stack.worker.taskQueue, 'U0ERIN');
  await eventually('the incident to open', async () => (await incident.query(incidentStateQuery)).status === 'open' || undefined);
  await eventually('the early cards held', () => early.every((e) => visibleText(card(stack.sandbox, e)!).includes('Held by')));

  // The burst, all at once.
  const burst = Array.from({ length: BURST }, () => uniqueExecution('burst'));
  const burstHandles = await Promise.all(burst.map(request));
  await eventually('every burst card', () => burst.every((e) => card(stack.sandbox, e)), 60_000);

  // Each card's first post already says it is held, and offers no Approve.
  for (const execution of burst) {
    const firstPost = stack.sandbox.calls('chat.postMessage').find((c) => c.ok && JSON.stringify(c.args).includes(execution));
    expect(firstPost).toBeDefined();
    const posted = JSON.stringify(firstPost!.args);
    expect(posted).toContain('signalroom-approval-held');
    expect(posted).not.toContain(APPROVE_ACTION);
  }

  // Her own subscription, "quiet", for one of the burst: the board answers it as any other, and it stays held.
  const target = burstHandles[0];
  await stack.client.workflow.getHandle(holdBoardId(stack.worker.taskQueue)).signal(holdSubscribeSignal, { approvalId: target.workflowId, stage: 'production', service, quiet: true } as never);

  // An approve sent as a stale client would send it: refused while held.
  const held = card(stack.sandbox, burst[0])!;
  await target.signal(approvalDecisionSignal, { verb: 'approve', user: { id: 'U0CAROL' }, provenance: { integrations: ['organization'], channelId: CHANNEL, messageTs: held.ts }, channelId: CHANNEL, messageTs: held.ts });
  await eventually('the approve refused', async () => (await target.query(approvalStateQuery)).refused.some((r) => r.user.id === 'U0CAROL') || undefined);

  for (const handle of [...earlyHandles, ...burstHandles]) {
    const state = await handle.query(approvalStateQuery);
    expect(state).toMatchObject({ status: 'pending', approvals: 0, decisions: [] });
    expect(state.holds?.map((h) => h.source)).toEqual(['incident']);
  }

  // The incident resolved: every one of them is lifted, the early, the burst, and the "quiet" one alike.
  await incident.signal(incidentResolveSignal, { summary: 'fixed', resolvedBy: 'U0ERIN' });
  for (const handle of [...earlyHandles, ...burstHandles]) {
    await eventually(`${handle.workflowId} lifted`, async () => ((await handle.query(approvalStateQuery)).holds ?? []).length === 0 || undefined, 30_000);
  }
  await Promise.all([...earlyHandles, ...burstHandles].map((h) => h.cancel()));
});
