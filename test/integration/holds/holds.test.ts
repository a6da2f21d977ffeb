/**
 * Deploys that know about incidents, on the dev server with the sandbox:
 * an open SEV1 on checkout holds checkout's production approvals and no
 * others; escalating a SEV3 holds the pending ones; the commander's
 * exception lets one through; resolving lifts the holds and they resume;
 * a break-glass approves at once and opens its review. What is asserted is
 * what people see: the card, the private replies, the incident's timeline
 * and postmortem, and what the pipeline gets.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION, BREAK_GLASS_ACTION, EXCEPTION_ACTION } from '../../../core/slack/blocks/approval-card';
import { openIncident } from '../../../src/incidents/client';
import { approvalStateQuery, decideUpdate, incidentResolveSignal, incidentRoleUpdate, incidentSeveritySignal, incidentStateQuery } from '../../../workflows/messages';
import type { approval } from '../../../workflows/approval/workflow';
import type { ApprovalRequest } from '../../../core/approval/types';
import { postmortemMarkdown } from '../../../core/incident/postmortem';
import { reviewWorkflowId } from '../../../core/holds/review';
import { buttons, card, CHANNEL, eventually, toldTo, uniqueExecution, visibleText } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { uniqueIncidentId } from '../../support/incidents';
import { HOLDS_RUNBOOK } from '../../support/holds';

const OPS = 'holds-ops-token-0123456789abcdef';
let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({
    approverGroups: {
      release: { userGroups: ['@release-managers'] }, // carol and dave
      sre: { users: ['U0ALICE'] },
      glass: { users: ['U0BOB'] },
    },
    deploys: {
      holds: [{ severities: ['SEV1', 'SEV2'], stages: ['production'], services: ['[incident.service]'] }],
      breakGlass: { groups: ['glass'], reviewers: ['sre'], remindEvery: '1h' },
    },
    api: { tokens: [{ name: 'release-ops', token: OPS, permissions: ['freezes:read', 'freezes:write'], slackUser: 'U0ALICE' }] },
  }));
});
afterAll(() => stack?.close());


let services = 0;
/** A service of the test's own: the incidents other tests leave open hold nothing here. */
const uniqueService = () => `checkout-${Date.now().toString(36)}${(++services).toString(36)}`;

async function open(severity: string, service: string, openedBy = 'U0ERIN') {
  const id = uniqueIncidentId('INC').toLowerCase();
  const handle = await openIncident(stack.client, HOLDS_RUNBOOK, { 'incident.id': id, 'incident.severity': severity, 'incident.service': service }, stack.worker.taskQueue, openedBy);
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  return { handle, id, channel: opened.incident.channelId! };
}

async function request(service: string, overrides: Partial<ApprovalRequest> = {}): Promise<{ handle: WorkflowHandle<typeof approval>; execution: string }> {
  const execution = overrides.execution ?? uniqueExecution();
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'web', service, stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m', ...overrides }),
    stack.worker.taskQueue,
  );
  return { handle, execution };
}

const cardSays = (execution: string, fragment: string) =>
  eventually(`the card to say "${fragment}"`, () => {
    const c = card(stack.sandbox, execution);
    return c && visibleText(c).includes(fragment) && c;
  });
const cardLacks = (execution: string, fragment: string) =>
  eventually(`the card no longer to say "${fragment}"`, () => {
    const c = card(stack.sandbox, execution);
    return c && !visibleText(c).includes(fragment) && c;
  });
const told = (userId: string, fragment: string) => eventually(`${userId} to be told "${fragment}"`, () => toldTo(stack.sandbox, userId).find((t) => t.includes(fragment)));

async function click(userId: string, execution: string, actionId: string) {
  const c = card(stack.sandbox, execution)!;
  const result = await stack.sandbox.click({ userId, channelId: CHANNEL, messageTs: c.ts, actionId });
  expect(result.response.status).toBe(200);
}

/** Clicks a modal-opening button and submits the modal with a reason. */
async function withReason(userId: string, execution: string, actionId: string, reason: string) {
  await click(userId, execution, actionId);
  await eventually(`a modal for ${userId}`, () => stack.sandbox.openView(userId));
  expect(await stack.sandbox.submitView({ userId, values: { reason } })).toMatchObject({ sent: true });
}

test('a SEV1 on checkout holds checkout’s production approvals and no others; the commander’s exception lets one through; resolving lifts the rest', async () => {
  const svc = uniqueService();
  const incident = await open('SEV1', svc);
  const held = await request(svc);
  const other = await request('search');
  const staging = await request(svc, { stage: 'staging' });

  // Held from its first card: the hold says by what, links the channel, and Approve gives way.
  const heldCard = await cardSays(held.execution, `Held by ${incident.id} (SEV1, ${svc})`);
  expect(visibleText(heldCard)).toContain(`<#${incident.channel}>`);
  expect(buttons(heldCard).map((b) => b.actionId)).toEqual([EXCEPTION_ACTION, 'signalroom:approval:reject', BREAK_GLASS_ACTION]);
  expect((await held.handle.query(approvalStateQuery)).holds?.map((h) => h.label)).toEqual([`${incident.id} (SEV1, ${svc})`]);
  // Other services and stages are not held.
  for (const free of [other, staging]) {
    const c = await cardSays(free.execution, '0 of 1');
    expect(visibleText(c)).not.toContain('Held by');
    expect(buttons(c).map((b) => b.actionId)).toContain(APPROVE_ACTION);
  }

  // The card has no Approve; an approver's approval from the API or CLI is refused, naming the hold.
  const refused = await held.handle.executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'api' }] });
  expect(refused).toMatchObject({ accepted: false, status: 'pending' });
  expect(refused.message).toContain(`Not recorded: Held by ${incident.id} (SEV1, ${svc})`);

  // The commander (the opener, erin) grants an exception from the card; then the approvers decide.
  await withReason('U0ERIN', held.execution, EXCEPTION_ACTION, 'hotfix for the incident itself');
  await told('U0ERIN', 'Exception granted: the approvers may now decide.');
  await cardSays(held.execution, 'granted by <@U0ERIN>: “hotfix for the incident itself”');
  await click('U0CAROL', held.execution, APPROVE_ACTION);
  const result = await held.handle.result();
  expect(result).toMatchObject({ status: 'approved', proceed: true });
  expect(result.exceptions).toEqual([expect.objectContaining({ hold: incident.handle.workflowId, by: 'U0ERIN', reason: 'hotfix for the incident itself', as: 'commander' })]);

  // A second held request waits; resolving the incident lifts it, and it resumes.
  const later = await request(svc);
  await cardSays(later.execution, `Held by ${incident.id}`);
  await incident.handle.signal(incidentResolveSignal, { resolvedBy: 'U0ERIN', summary: 'fixed' });
  const resumed = await cardLacks(later.execution, 'Held by');
  expect(buttons(resumed).map((b) => b.actionId)).toContain(APPROVE_ACTION);
  await click('U0DAVE', later.execution, APPROVE_ACTION);
  expect(await later.handle.result()).toMatchObject({ status: 'approved', proceed: true });

  // The incident kept the record: held, excepted, decided, lifted — in its timeline and its postmortem.
  const state = await incident.handle.result();
  const deploys = (state.deploys ?? []).map((d) => `${d.event} ${d.approvalId}`);
  expect(deploys).toEqual(expect.arrayContaining([`held ${held.handle.workflowId}`, `excepted ${held.handle.workflowId}`, `decided ${held.handle.workflowId}`, `held ${later.handle.workflowId}`, `lifted ${later.handle.workflowId}`]));
  expect(deploys.some((d) => d.includes(other.handle.workflowId) || d.includes(staging.handle.workflowId))).toBe(false);
  const postmortem = postmortemMarkdown(state);
  expect(postmortem).toContain('## Deploys during the incident');
  expect(postmortem).toMatch(/Exception granted: Exception granted by @U0ERIN for web › production/);
  await Promise.all([other, staging].map((r) => stack.client.workflow.getHandle(r.handle.workflowId).cancel()));
});

test('escalating a SEV3 to SEV1 holds the pending approvals within seconds; lowering it lifts them', async () => {
  const svc = uniqueService();
  const incident = await open('SEV3', svc);
  const pending = await request(svc);
  await cardSays(pending.execution, '0 of 1');
  await incident.handle.signal(incidentSeveritySignal, { severity: 'SEV1', by: 'U0ERIN' });
  const heldCard = await cardSays(pending.execution, `Held by ${incident.id} (SEV1, ${svc})`);
  expect(buttons(heldCard).map((b) => b.actionId)).not.toContain(APPROVE_ACTION);
  await incident.handle.signal(incidentSeveritySignal, { severity: 'SEV3', by: 'U0ERIN' });
  await cardLacks(pending.execution, 'Held by');
  const state = await pending.handle.query(approvalStateQuery);
  expect(state.holds).toEqual([]);
  expect(state.heldMs).toBeGreaterThan(0);
  await stack.client.workflow.getHandle(pending.handle.workflowId).cancel();
  await incident.handle.signal(incidentResolveSignal, { resolvedBy: 'U0ERIN' });
});

test('a new commander may grant exceptions, and the one before may no longer; an outsider’s request is posted once to the incident', async () => {
  const svc = uniqueService();
  const incident = await open('SEV2', svc);
  await incident.handle.executeUpdate(incidentRoleUpdate, { args: [{ role: 'commander', user: 'U0ALICE', by: 'U0ERIN' }] });
  const held = await request(svc);
  await cardSays(held.execution, 'Commander: <@U0ALICE>');

  // erin, no longer commander: her exception is only a request, posted into the incident's channel naming alice.
  await withReason('U0ERIN', held.execution, EXCEPTION_ACTION, 'need this out');
  await told('U0ERIN', 'Your request for an exception was sent to <@U0ALICE>');
  const asked = await eventually('the request in the incident channel', () => stack.sandbox.messages(incident.channel).find((m) => m.text.includes('asks for an exception')));
  expect(asked.text).toContain('<@U0ALICE>, you may grant it');
  await withReason('U0ERIN', held.execution, EXCEPTION_ACTION, 'again please');
  await told('U0ERIN', 'Not recorded again');
  expect(stack.sandbox.messages(incident.channel).filter((m) => m.text.includes('asks for an exception'))).toHaveLength(1);
  expect((await held.handle.query(approvalStateQuery)).exceptions ?? []).toEqual([]);

  await withReason('U0ALICE', held.execution, EXCEPTION_ACTION, 'approved by the commander');
  await told('U0ALICE', 'Exception granted');
  await click('U0CAROL', held.execution, APPROVE_ACTION);
  expect(await held.handle.result()).toMatchObject({ status: 'approved', exceptions: [expect.objectContaining({ by: 'U0ALICE' })] });
  await incident.handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
});

test('break-glass: a member of the break-glass group approves a held request at once, and a review opens', async () => {
  const svc = uniqueService();
  const incident = await open('SEV1', svc);
  const held = await request(svc);
  await cardSays(held.execution, 'Held by');
  await withReason('U0BOB', held.execution, BREAK_GLASS_ACTION, 'payments are down without this fix');
  await told('U0BOB', 'The glass is broken');
  const result = await held.handle.result();
  expect(result).toMatchObject({ status: 'approved', proceed: true, breakGlass: { by: 'U0BOB', reason: 'payments are down without this fix', overrode: [`${incident.id} (SEV1, ${svc})`] } });
  const final = await cardSays(held.execution, 'Break-glass by <@U0BOB>');
  expect(buttons(final)).toEqual([]);
  // Its review runs on its own, and the incident heard of it.
  const review = stack.client.workflow.getHandle(reviewWorkflowId(held.handle.workflowId));
  expect((await review.describe()).status.name).toBe('RUNNING');
  const state = await eventually('the incident to hear of the break-glass', async () => {
    const s = await incident.handle.query(incidentStateQuery);
    return s.deploys?.some((d) => d.event === 'break-glass') && s;
  });
  expect(state.timeline.map((e) => e.text).join('\n')).toContain('Break-glass by <@U0BOB>');
  await review.terminate('test over');
  await incident.handle.signal(incidentResolveSignal, { resolvedBy: 'U0ERIN' });
});

test('a freeze holds a matching request from its first card, "Frozen until …"; ending it lets the approvers decide', async () => {
  const svc = uniqueService();
  const name = `f-${svc}`;
  const until = new Date(Date.now() + 60 * 60_000).toISOString();
  const created = await stack.api('POST', '/freezes', OPS, { name, stages: ['production'], services: [svc], from: new Date(Date.now() - 60_000).toISOString(), until, reason: 'Black Friday' });
  expect(created.status).toBe(201);
  const held = await eventually('a held request', async () => {
    const r = await request(svc, { execution: uniqueExecution('frozen') });
    const c = await cardSays(r.execution, 'Frozen until');
    if (visibleText(c).includes('Black Friday')) return r;
    await r.handle.cancel();
    return undefined;
  });
  expect(buttons(card(stack.sandbox, held.execution)!).map((b) => b.actionId)).not.toContain(APPROVE_ACTION);
  expect(await stack.api('POST', `/freezes/${name}/end`, OPS, { reason: 'sale over' })).toMatchObject({ status: 200 });
  await cardLacks(held.execution, 'Frozen until');
  await click('U0CAROL', held.execution, APPROVE_ACTION);
  expect(await held.handle.result()).toMatchObject({ status: 'approved', proceed: true });
});
