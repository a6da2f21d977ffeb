/**
 * A runbook's Request Approval step runs the approval as a child workflow:
 * its card's buttons name the child, and clicks through the server reach it
 * like any other approval; the runbook goes on with the outcome.
 */
import { openIncident } from '../../../src/incidents/client';
import { IncidentService } from '../../../src/incidents/service';
import { incidentStateQuery } from '../../../workflows/messages';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { runbookFrom } from '../../support/incidents';
import { API_TOKEN, approvalStack, buttons, CHANNEL, eventually, uniqueExecution, visibleText, type ApprovalStack } from '../../support/approvals';

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

test('the postmortem lists each approval with who decided, when, how and why', async () => {
  const gated = runbookFrom(`
name: approval-postmortem-test
inputs: [incident.id]
steps:
  - Operation: Request Approval
    Id: rollback
    Channel: "#deploys"
    Message: "Roll back [incident.id] to yesterday's build"
    ApproverGroups: [release]
    MinApprovals: 2
    Timeout: 10m
`);
  const id = uniqueExecution('PM');
  const parent = await openIncident(stack.client, gated, { 'incident.id': id }, stack.worker.taskQueue);
  const childCard = await eventually('the approval card', () => stack.sandbox.messages(CHANNEL).find((m) => !m.threadTs && m.text.includes(`(${id})`) && buttons(m).length > 0));
  const approvalId = buttons(childCard).find((b) => b.actionId === APPROVE_ACTION)!.value!;

  // Dave approves through the API with a comment; Carol clicks Approve in Slack without one.
  const decided = await stack.server.inject({
    method: 'POST',
    url: `/api/v1/approvals/${encodeURIComponent(approvalId)}/decisions`,
    headers: { authorization: `Bearer ${API_TOKEN}` },
    payload: { verb: 'approve', user: 'U0DAVE', reason: 'Canary is *green*, error rate back to 0.1%' },
  });
  expect(decided.statusCode).toBe(200);
  await stack.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: childCard.ts, actionId: APPROVE_ACTION });
  const state = await eventually('the approval step to be done', async () => {
    const s = await parent.query(incidentStateQuery);
    return s.steps.rollback?.status === 'approved' && s;
  });

  const approval = await stack.client.workflow.getHandle(approvalId).result();
  const [dave, carol] = approval.decisions;
  expect([dave.user.id, carol.user.id]).toEqual(['U0DAVE', 'U0CAROL']);
  // The incident looks up the deciders' names once the step is done (for a reader outside Slack).
  const markdown = await eventually('the postmortem with names', async () => {
    const md = await new IncidentService(stack.client, stack.worker.taskQueue, []).postmortem(id);
    return md.includes('approved by Carol Chen') && md;
  });
  const section = markdown.slice(markdown.indexOf('## Approvals'), markdown.indexOf('## Action items'));
  expect(section.trim().split('\n')).toEqual([
    '## Approvals',
    '',
    `- Roll back ${id} to yesterday's build (open/rollback): approved at ${approval.finishedAt}`,
    `  - ${dave.at} — approved by Dave Diaz via api, token ci: “Canary is \\*green\\*, error rate back to 0.1%”`,
    `  - ${carol.at} — approved by Carol Chen via slack: no reason given`,
  ]);
  expect(state.approvals).toHaveLength(1);
});
