/**
 * Attack: decide an approval card posted by the organization's app with a
 * click signed by another configured app (a project connector whose secret
 * the attacker holds), claiming an approver's user id. And: replay a real
 * approver's click against another card.
 */
import { startApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalStateQuery } from '../../../workflows/messages';
import { card } from '../../support/approvals';
import { CHANNEL, clickPayload, CONNECTOR_APP_ID, CONNECTOR_SECRET, CONNECTOR_TEAM_ID, eventually, formOf, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack();
});
afterAll(() => s?.close());

async function pendingApproval(execution: string) {
  const { workflowId } = await startApproval(s.client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }, s.worker.taskQueue);
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  return { workflowId, ts: posted.ts };
}

/** A response_url the sandbox issued to erin (an outsider clicking for real): where the attacker is answered. */
async function outsiderResponseUrl(ts: string): Promise<string> {
  const res = await s.sandbox.click({ userId: 'U0ERIN', channelId: CHANNEL, messageTs: ts, actionId: APPROVE_ACTION });
  return res.responseUrl;
}

test('a click signed by a connector app, claiming carol, is refused by the approval, recorded and answered privately', async () => {
  const execution = `forged-${Date.now().toString(36)}`;
  const { workflowId, ts } = await pendingApproval(execution);
  const responseUrl = await outsiderResponseUrl(ts);
  const forged = clickPayload({ userId: 'U0CAROL', teamId: CONNECTOR_TEAM_ID, appId: CONNECTOR_APP_ID, messageTs: ts, actionId: APPROVE_ACTION, value: workflowId, responseUrl });
  const res = await s.slackPost('/slack/interactions', formOf(forged), CONNECTOR_SECRET);
  // The connector's signature is valid for the connector's app: acknowledged, and judged by the workflow.
  expect(res.status).toBe(200);
  const state = await eventually('the refusal', async () => {
    const st = await s.client.workflow.getHandle(workflowId).query(approvalStateQuery);
    return st.refused.some((r) => r.user.id === 'U0CAROL') ? st : undefined;
  });
  expect(state.status).toBe('pending');
  expect(state.decisions).toEqual([]);
  expect(state.refused.find((r) => r.user.id === 'U0CAROL')?.why).toContain('signed by another Slack app (connector:payments)');
  // Answered privately, through the response_url of the request (here: one the sandbox issued to the attacker).
  await eventually('the private answer', () => s.sandbox.ephemerals({ channelId: CHANNEL }).find((e) => e.text.includes('signed by another Slack app')));
  // The card still waits for a real decision.
  expect(JSON.stringify(card(s.sandbox, execution)!.blocks)).toContain(APPROVE_ACTION);
});

test("a click claiming the organization's app but signed with the connector's secret is refused before any workflow sees it", async () => {
  const execution = `claim-${Date.now().toString(36)}`;
  const { workflowId, ts } = await pendingApproval(execution);
  const forged = clickPayload({ userId: 'U0CAROL', messageTs: ts, actionId: APPROVE_ACTION, value: workflowId, responseUrl: `${s.sandbox.url}/actions/T0SANDBOX/1/x` });
  const res = await s.slackPost('/slack/interactions', formOf(forged), CONNECTOR_SECRET);
  expect(res.status).toBe(401);
  expect(JSON.parse(res.body)).toEqual({ error: 'invalid_signature', message: 'X-Slack-Signature does not match the body for the signing secret of organization' });
  const state = await s.client.workflow.getHandle(workflowId).query(approvalStateQuery);
  expect(state.refused).toEqual([]);
  expect(state.decisions).toEqual([]);
});

test("carol's genuine click on one card, replayed against another approval, is refused there", async () => {
  const a = await pendingApproval(`replay-a-${Date.now().toString(36)}`);
  const b = await pendingApproval(`replay-b-${Date.now().toString(36)}`);
  // A request signed by the right app, but its message is card A while its button names approval B.
  const crossed = clickPayload({ userId: 'U0CAROL', messageTs: a.ts, actionId: APPROVE_ACTION, value: b.workflowId, responseUrl: `${s.sandbox.url}/actions/T0SANDBOX/1/x` });
  expect((await s.slackPost('/slack/interactions', formOf(crossed), s.sandbox.signingSecret)).status).toBe(200);
  const state = await eventually('the refusal', async () => {
    const st = await s.client.workflow.getHandle(b.workflowId).query(approvalStateQuery);
    return st.refused.length ? st : undefined;
  });
  expect(state.refused[0].why).toBe('the click comes from another message than this request’s card');
  expect(state.decisions).toEqual([]);
  // And from another channel.
  const elsewhere = clickPayload({ userId: 'U0CAROL', channel: 'C0GENERAL', messageTs: b.ts, actionId: APPROVE_ACTION, value: b.workflowId, responseUrl: `${s.sandbox.url}/actions/T0SANDBOX/1/x` });
  expect((await s.slackPost('/slack/interactions', formOf(elsewhere), s.sandbox.signingSecret)).status).toBe(200);
  const after = await eventually('the second refusal', async () => {
    const st = await s.client.workflow.getHandle(b.workflowId).query(approvalStateQuery);
    return st.refused.length === 2 ? st : undefined;
  });
  expect(after.refused[1].why).toContain('from channel C0GENERAL');
  expect(after.status).toBe('pending');
});
