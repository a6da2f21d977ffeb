/**
 * Attack: getting a held deploy through without the right to. Someone who is
 * not the incident's commander "grants" an exception (from the card's modal,
 * and through the API's update); someone outside the break-glass groups
 * breaks the glass; a break-glass member tries it with no reason. Each is
 * refused, recorded, and the approval stays held (SECURITY.md, "Holds,
 * exceptions and break-glass").
 */
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { BREAK_GLASS_ACTION, EXCEPTION_ACTION } from '../../../core/slack/blocks/approval-card';
import { openIncident } from '../../../src/incidents/client';
import { approvalStateQuery, holdOverrideUpdate, incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { card, CHANNEL, eventually, toldTo, uniqueExecution, visibleText } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { uniqueIncidentId } from '../../support/incidents';
import { HOLDS_RUNBOOK } from '../../support/holds';

let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({
    approverGroups: { release: { userGroups: ['@release-managers'] }, glass: { users: ['U0BOB'] }, reviewers: { users: ['U0ALICE'] } },
    deploys: { holds: [{ severities: ['SEV1'], stages: ['production'], services: ['[incident.service]'] }], breakGlass: { groups: ['glass'], reviewers: ['reviewers'] } },
  }));
});
afterAll(() => stack?.close());


async function heldApproval() {
  const service = `svc-${uniqueExecution()}`;
  const id = uniqueIncidentId('SEC').toLowerCase();
  const incident = await openIncident(stack.client, HOLDS_RUNBOOK, { 'incident.id': id, 'incident.severity': 'SEV1', 'incident.service': service }, stack.worker.taskQueue, 'U0ERIN');
  await eventually('the incident to open', async () => (await incident.query(incidentStateQuery)).status === 'open' || undefined);
  const execution = uniqueExecution();
  const handle = await requestApproval(stack.client, normalizeApprovalRequest({ pipeline: 'web', service, stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }), stack.worker.taskQueue);
  await eventually('the held card', () => {
    const c = card(stack.sandbox, execution);
    return c && visibleText(c).includes('Held by') && c;
  });
  return { incident, handle, execution };
}

async function submitWithReason(userId: string, execution: string, actionId: string, reason: string) {
  const c = card(stack.sandbox, execution)!;
  await stack.sandbox.click({ userId, channelId: CHANNEL, messageTs: c.ts, actionId });
  await eventually(`a modal for ${userId}`, () => stack.sandbox.openView(userId));
  expect(await stack.sandbox.submitView({ userId, values: { reason } })).toMatchObject({ sent: true });
}
const told = (userId: string, fragment: string) => eventually(`${userId} to be told "${fragment}"`, () => toldTo(stack.sandbox, userId).find((t) => t.includes(fragment)));

test('attack: an approver who is not the commander grants an exception, from the card and through the API: not granted, still held', async () => {
  const { incident, handle, execution } = await heldApproval();
  await submitWithReason('U0CAROL', execution, EXCEPTION_ACTION, 'trust me');
  await told('U0CAROL', 'Your request for an exception was sent to <@U0ERIN>');
  const viaApi = await handle.executeUpdate(holdOverrideUpdate, { args: [{ kind: 'exception', user: { id: 'U0DAVE' }, reason: 'also trust me', via: 'api', by: { token: 'ci' } }] });
  expect(viaApi.accepted).toBe(false);
  const state = await handle.query(approvalStateQuery);
  expect(state.exceptions ?? []).toEqual([]);
  expect(state.holds).toHaveLength(1);
  expect(state.refused.map((r) => [r.verb, r.user.id])).toEqual([
    ['exception', 'U0CAROL'],
    ['exception', 'U0DAVE'],
  ]);
  expect(visibleText(card(stack.sandbox, execution)!)).toContain('Held by');
  await handle.cancel();
  await incident.signal(incidentResolveSignal, { resolvedBy: 'U0ERIN' });
});

test('attack: a break-glass by someone outside the break-glass groups, and one with no reason: refused, still held, no review', async () => {
  const { incident, handle, execution } = await heldApproval();
  await submitWithReason('U0CAROL', execution, BREAK_GLASS_ACTION, 'I am in a hurry');
  await told('U0CAROL', 'Not recorded: only members of glass may break the glass.');
  // The modal asks for the reason; the API and the workflow refuse an empty one too.
  const blank = await handle.executeUpdate(holdOverrideUpdate, { args: [{ kind: 'break-glass', user: { id: 'U0BOB' }, reason: '   ', via: 'api' }] });
  expect(blank).toMatchObject({ accepted: false, message: 'Not recorded: a reason is required.' });
  const state = await handle.query(approvalStateQuery);
  expect(state.status).toBe('pending');
  expect(state.breakGlass).toBeUndefined();
  expect(state.holds).toHaveLength(1);
  await expect(stack.client.workflow.getHandle(`review:${handle.workflowId}`).describe()).rejects.toThrow();
  const api = await stack.api('POST', `/api/v1/approvals/${encodeURIComponent(handle.workflowId)}/overrides`, 'none', { kind: 'break-glass', reason: '' });
  expect(api.status).toBe(401);
  await handle.cancel();
  await incident.signal(incidentResolveSignal, { resolvedBy: 'U0ERIN' });
});
