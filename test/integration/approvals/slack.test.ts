/**
 * Approvals as people live them: cards in the sandbox's #deploys, clicks as
 * different people through the real HTTP server, modals the server opens
 * itself, and the workflow on the dev server deciding what counts. Every
 * assertion is something a person sees (the card, a private reply, a thread
 * message) or the pipeline gets (the workflow's result).
 */
import type { WorkflowHandle } from '@temporalio/client';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION, APPROVE_WITH_INPUTS_ACTION, REJECT_ACTION, REJECT_WITH_REASON_ACTION } from '../../../core/slack/blocks/approval-card';
import { signRequest } from '../../../src/sandbox';
import { cancelApprovalUpdate } from '../../../workflows/messages';
import type { approval } from '../../../workflows/approval/workflow';
import type { ApprovalRequest } from '../../../core/approval/types';
import { approvalStack, buttons, card, CHANNEL, eventually, toldTo, uniqueExecution, visibleText, type ApprovalStack } from '../../support/approvals';

let stack: ApprovalStack;
beforeAll(async () => {
  stack = await approvalStack();
});
afterAll(() => stack?.close());

async function request(overrides: Partial<ApprovalRequest> = {}): Promise<{ handle: WorkflowHandle<typeof approval>; execution: string }> {
  const execution = overrides.execution ?? uniqueExecution();
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'api', stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '5m', ...overrides }),
    stack.worker.taskQueue,
  );
  return { handle, execution };
}

const postedCard = (execution: string) => eventually('the approval card', () => card(stack.sandbox, execution));
const cardSays = (execution: string, fragment: string) =>
  eventually(`the card to say "${fragment}"`, () => {
    const c = card(stack.sandbox, execution);
    return c && visibleText(c).includes(fragment) && c;
  });

async function click(userId: string, execution: string, actionId: string) {
  const c = card(stack.sandbox, execution)!;
  const result = await stack.sandbox.click({ userId, channelId: CHANNEL, messageTs: c.ts, actionId });
  expect(result.response.status).toBe(200);
  return result;
}

const told = (userId: string, fragment: string) => eventually(`${userId} to be told "${fragment}"`, () => toldTo(stack.sandbox, userId).find((t) => t.includes(fragment)));

test('approve: the card shows who approved, loses its buttons, and the approver is told', async () => {
  const { handle, execution } = await request({ summary: 'Deploy api v1.42 to production' });
  const posted = await postedCard(execution);
  expect(visibleText(posted)).toContain('Approval needed: api › production');
  expect(visibleText(posted)).toContain('0 of 1');
  expect(buttons(posted)).toEqual([
    { text: 'Approve', actionId: APPROVE_ACTION, value: handle.workflowId },
    { text: 'Reject', actionId: REJECT_ACTION, value: handle.workflowId },
  ]);

  await click('U0CAROL', execution, APPROVE_ACTION);
  const final = await cardSays(execution, 'Approved by <@U0CAROL>');
  expect(buttons(final)).toEqual([]);
  expect(visibleText(final)).toContain('Approved: api › production');
  await told('U0CAROL', 'Your approval is recorded: the request is approved.');

  const result = await handle.result();
  expect(result).toMatchObject({ status: 'approved', proceed: true, refused: [] });
  expect(result.decisions).toEqual([expect.objectContaining({ verb: 'approve', user: expect.objectContaining({ id: 'U0CAROL' }), via: 'slack', groups: ['release'] })]);
});

test('two of two: an outsider, the executor and a double click are refused; a late click is told the run is over', async () => {
  const { handle, execution } = await request({ approverGroups: ['release', 'sre'], minApprovals: 2, requestedBy: 'U0DAVE' });
  await postedCard(execution);

  await click('U0ERIN', execution, APPROVE_ACTION);
  await told('U0ERIN', 'Not recorded: you are not an approver for this request (approver groups: release, sre).');
  await click('U0DAVE', execution, APPROVE_ACTION);
  await told('U0DAVE', 'Not recorded: you requested this run, and self-approval is not allowed.');

  const first = await click('U0CAROL', execution, APPROVE_ACTION);
  const progress = await cardSays(execution, '1 of 2');
  expect(visibleText(progress)).toContain('approved by <@U0CAROL>');
  expect(buttons(progress).map((b) => b.text)).toEqual(['Approve', 'Reject']);
  await told('U0CAROL', 'Your approval is recorded (1 of 2).');
  // The Temporal UI's Current Details tell the same story.
  const details = (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;
  expect(details).toContain('**Pending**: 1 of 2 approvals');
  expect(details).toMatch(/- Approved by .*U0CAROL.* via slack/);
  expect(details).toContain('- Refused approve from U0ERIN');
  expect(details).toContain('- Refused approve from U0DAVE');

  await click('U0CAROL', execution, APPROVE_ACTION);
  await told('U0CAROL', 'Not recorded: you have already decided on this request.');

  await click('U0ALICE', execution, APPROVE_ACTION);
  const final = await cardSays(execution, 'Approved by <@U0CAROL>, <@U0ALICE>');
  expect(buttons(final)).toEqual([]);
  const result = await handle.result();
  expect(result.status).toBe('approved');
  expect(result.decisions.map((d) => [d.user.id, d.groups])).toEqual([
    ['U0CAROL', ['release']],
    ['U0ALICE', ['sre']],
  ]);
  expect(result.refused.map((r) => [r.user.id, r.why])).toEqual([
    ['U0ERIN', 'you are not an approver for this request (approver groups: release, sre)'],
    ['U0DAVE', 'you requested this run, and self-approval is not allowed'],
    ['U0CAROL', 'you have already decided on this request'],
  ]);

  // A late click: carol's Slack still showed the buttons and sends her click again after the run ended.
  const payload = { ...first.payload, actions: [{ ...(first.payload.actions as object[])[0], action_ts: '9999999999.000001' }] };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = Math.floor(Date.now() / 1000);
  const late = await fetch(`${stack.serverUrl}/slack/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signRequest(stack.sandbox.signingSecret, ts, body) },
    body,
  });
  expect(late.status).toBe(200);
  await told('U0CAROL', 'This run has already finished, so your click changed nothing.');
});

test('reject with a reason: Reject opens a modal from the server, and the reason shows on the card', async () => {
  const { handle, execution } = await request({ rejectionNeedsReason: true });
  const posted = await postedCard(execution);
  expect(buttons(posted).map((b) => [b.text, b.actionId])).toEqual([
    ['Approve', APPROVE_ACTION],
    ['Reject…', REJECT_WITH_REASON_ACTION],
  ]);

  await click('U0DAVE', execution, REJECT_WITH_REASON_ACTION);
  const modal = stack.sandbox.openView('U0DAVE');
  expect(modal).toMatchObject({ callbackId: 'signalroom:approval:decision', title: { text: 'Reject' } });
  expect(visibleText({ text: '', blocks: modal!.blocks })).toContain('Reason for rejecting');

  // Slack itself refuses an empty reason (the input is required).
  expect(await stack.sandbox.submitView({ userId: 'U0DAVE', values: {} })).toMatchObject({ sent: false, missing: ['reason'] });
  const submitted = await stack.sandbox.submitView({ userId: 'U0DAVE', values: { reason: 'canary error rate 4%' } });
  expect(submitted).toMatchObject({ sent: true, responseAction: 'close' });

  const final = await cardSays(execution, 'Rejected by <@U0DAVE>: “canary error rate 4%”');
  expect(buttons(final)).toEqual([]);
  await told('U0DAVE', 'Your rejection is recorded: the request is rejected.');
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'rejected', proceed: false });
  expect(result.decisions[0]).toMatchObject({ verb: 'reject', reason: 'canary error rate 4%', user: { id: 'U0DAVE' } });
});

test('approve with inputs: the modal asks for the fields, and the pipeline gets them', async () => {
  const { handle, execution } = await request({ inputs: [{ name: 'ticket', label: 'Change ticket', required: true }, { name: 'note', label: 'Note' }] });
  const posted = await postedCard(execution);
  expect(buttons(posted)[0]).toMatchObject({ text: 'Approve…', actionId: APPROVE_WITH_INPUTS_ACTION });

  await click('U0CAROL', execution, APPROVE_WITH_INPUTS_ACTION);
  const modal = stack.sandbox.openView('U0CAROL')!;
  expect(modal.title).toMatchObject({ text: 'Approve' });
  expect(visibleText({ text: '', blocks: modal.blocks })).toMatch(/Change ticket[\s\S]*Note/);
  await stack.sandbox.submitView({ userId: 'U0CAROL', values: { ticket: 'CHG-2041' } });

  await cardSays(execution, 'Approved by <@U0CAROL>');
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'approved', inputs: { ticket: 'CHG-2041' } });
});

test('timeout: the workflow itself marks the card expired and removes the buttons', async () => {
  const { handle, execution } = await request({ timeout: '3s' });
  await postedCard(execution);
  const final = await cardSays(execution, 'Expired');
  expect(buttons(final)).toEqual([]);
  expect(visibleText(final)).toMatch(/Nobody decided by .*: rejected on timeout/);
  expect(await handle.result()).toMatchObject({ status: 'expired', proceed: false, decisions: [] });
});

test('a request that fails after its card is posted: the card says it failed and loses its buttons', async () => {
  // The escalation names a group the configuration does not have: resolving it fails the run.
  const { handle, execution } = await request({ escalation: { after: '1s', approverGroups: ['no-such-group'] } });
  await postedCard(execution);
  await expect(handle.result()).rejects.toThrow();
  const final = await cardSays(execution, 'failed');
  expect(buttons(final)).toEqual([]);
  expect(visibleText(final)).toContain('Unknown approver group "no-such-group"');
});

test('escalation: another group is added, mentioned in the thread, and can approve', async () => {
  const { handle, execution } = await request({ escalation: { after: '2s', approverGroups: ['sre'] } });
  const posted = await postedCard(execution);
  expect(visibleText(posted)).toMatch(/\*Approvers\*\n`release`$/m);

  const escalated = await eventually('the escalation in the thread', () => stack.sandbox.replies(CHANNEL, posted.ts).find((m) => m.text.includes('Escalated')));
  expect(escalated.text).toContain('<@U0ALICE>');
  await cardSays(execution, '`release`, `sre`');

  await click('U0ALICE', execution, APPROVE_ACTION);
  await cardSays(execution, 'Approved by <@U0ALICE>');
  expect((await handle.result()).decisions[0]).toMatchObject({ user: { id: 'U0ALICE' }, groups: ['sre'] });
});

test('reminders mention who has not decided; a cancel changes the card', async () => {
  const { handle, execution } = await request({ remindEvery: '2s', requestedBy: 'U0DAVE' });
  const posted = await postedCard(execution);
  const reminder = await eventually('a reminder in the thread', () => stack.sandbox.replies(CHANNEL, posted.ts).find((m) => m.text.includes('Reminder')));
  expect(reminder.text).toContain('<@U0CAROL>');
  expect(reminder.text).not.toContain('<@U0DAVE>'); // the executor is not asked to approve

  const outcome = await handle.executeUpdate(cancelApprovalUpdate, { args: [{ by: { id: 'U0ERIN' }, reason: 'superseded by run 43' }] });
  expect(outcome).toMatchObject({ accepted: true, status: 'cancelled' });
  const final = await cardSays(execution, 'Cancelled by <@U0ERIN>: superseded by run 43');
  expect(buttons(final)).toEqual([]);
  expect((await handle.result()).status).toBe('cancelled');
});

test('webhook delivery: the card comes through the incoming webhook, and a click replaces it through response_url', async () => {
  const { handle, execution } = await request({ destination: { webhook: 'deploys' }, rejectionNeedsReason: true });
  const posted = await postedCard(execution);
  expect(posted.via).toBe('webhook');

  await click('U0ERIN', execution, APPROVE_ACTION);
  await told('U0ERIN', 'you are not an approver');

  // The modal path works for a webhook card too: the modal carries the click's response_url.
  await click('U0CAROL', execution, REJECT_WITH_REASON_ACTION);
  await stack.sandbox.submitView({ userId: 'U0CAROL', values: { reason: 'freeze week' } });
  const final = await cardSays(execution, 'Rejected by <@U0CAROL>: “freeze week”');
  expect(final.ts).toBe(posted.ts);
  expect(buttons(final)).toEqual([]);
  await told('U0CAROL', 'Your rejection is recorded');
  expect((await handle.result()).status).toBe('rejected');
});

test('a webhook card that times out says so below it (a webhook message cannot be edited without a click)', async () => {
  const { handle, execution } = await request({ destination: { webhook: 'deploys' }, timeout: '2s' });
  await postedCard(execution);
  await eventually('the expiry note', () => stack.sandbox.messages(CHANNEL).find((m) => m.via === 'webhook' && m.text.startsWith(':alarm_clock: Expired') && m.text.includes(`(${execution})`)));
  expect((await handle.result()).status).toBe('expired');
});
