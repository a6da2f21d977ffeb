/**
 * A runbook's Request Approval step runs the approval as a child workflow:
 * its card's buttons name the child, and clicks through the server reach it
 * like any other approval; the runbook goes on with the outcome.
 */
import { openIncident } from '../../src/incidents/client';
import { APPROVE_ACTION } from '../../src/slack/blocks/approval-card';
import { runbookFrom } from '../incidents/support';
import { approvalStack, buttons, CHANNEL, eventually, uniqueExecution, visibleText, type ApprovalStack } from './support';

let stack: ApprovalStack;
beforeAll(async () => {
  stack = await approvalStack();
});
afterAll(() => stack?.close());

const runbook = runbookFrom(`
name: approval-step-test
inputs: [incident.id, incident.service]
steps:
  - Action Type: Slack
    Operation: Request Approval
    Id: approval
    Channel: "#deploys"
    Message: "Deploy [incident.service] to production"
    ApproverGroups: [release]
    Timeout: 10m
    OnReject: continue
  - Action Type: Slack
    Operation: Send Message
    Channel: "#deploys"
    Message: "Approval step finished: [steps.approval.status] by [steps.approval.approvedBy]"
`);

test('the child approval card is clicked through the server, and the runbook continues with the outcome', async () => {
  const id = uniqueExecution('INC');
  const parent = await openIncident(stack.client, runbook, { 'incident.id': id, 'incident.service': 'checkout' }, stack.worker.taskQueue, 'U0ERIN');
  const childCard = await eventually('the child approval card', () => stack.sandbox.messages(CHANNEL).find((m) => !m.threadTs && m.text.includes(`(${id})`) && buttons(m).length > 0));
  const approve = buttons(childCard).find((b) => b.actionId === APPROVE_ACTION)!;
  expect(approve.value).toMatch(new RegExp(`^${parent.workflowId}-approval-`));
  expect(visibleText(childCard)).toContain('Deploy checkout to production');

  const click = await stack.sandbox.click({ userId: 'U0DAVE', channelId: CHANNEL, messageTs: childCard.ts, actionId: APPROVE_ACTION });
  expect(click.response.status).toBe(200);
  await eventually('the card to show the approval', () => {
    const m = stack.sandbox.message(CHANNEL, childCard.ts);
    return m && visibleText(m).includes('Approved by <@U0DAVE>') && buttons(m).length === 0;
  });
  await eventually('the runbook to go on', () => stack.sandbox.messages(CHANNEL).find((m) => m.text.startsWith('Approval step finished: approved') && m.text.includes('U0DAVE')));
  expect(await stack.client.workflow.getHandle(approve.value!).result()).toMatchObject({ status: 'approved' });
});
