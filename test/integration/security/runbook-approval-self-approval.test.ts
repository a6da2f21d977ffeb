/**
 * Attack: carol opens an incident whose runbook asks for approval (through
 * the API with her own token, or with /signalroom), then approves the
 * runbook's approval herself — the step's card said "Requested by unknown",
 * so the self-approval rule had nobody to apply to.
 */
import path from 'node:path';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalStateQuery, incidentStateQuery } from '../../../workflows/messages';
import type { ApprovalResult } from '../../../core/approval/types';
import { buttons, visibleText } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

const RUNBOOKS = path.resolve(__dirname, '../../fixtures/runbooks/gated');
const CAROL_TOKEN = 'carol-laptop-token-0123456789abcdef';

let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({
    config: { runbooks: { dirs: [RUNBOOKS] }, incidents: { responderGroups: ['release'] } },
    apiTokens: [{ name: 'carol-laptop', token: CAROL_TOKEN, permissions: ['runbooks:run', 'incidents:read'], slackUser: 'U0CAROL' }],
  });
});
afterAll(() => s?.close());

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;

/** The runbook's approval card for incident `id`, once posted with its buttons. */
const gateCard = (id: string) =>
  eventually('the approval card', () => s.sandbox.messages(CHANNEL).find((m) => !m.threadTs && m.text.includes(`(${id})`) && buttons(m).length > 0));

/** carol clicks Approve and is refused as the requester; dave's click then approves. */
async function carolIsRefusedDaveApproves(id: string) {
  const card = await gateCard(id);
  expect(visibleText(card)).toContain('*Requested by*\n<@U0CAROL>');
  const approvalId = buttons(card).find((b) => b.actionId === APPROVE_ACTION)!.value!;
  const approval = s.client.workflow.getHandle(approvalId);

  await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: card.ts, actionId: APPROVE_ACTION });
  const refused = await eventually('carol refused', async () => {
    const st = await approval.query(approvalStateQuery);
    return st.refused.some((r) => r.user.id === 'U0CAROL') && st;
  });
  expect(refused.refused.find((r) => r.user.id === 'U0CAROL')!.why).toBe('you requested this run, and self-approval is not allowed');
  expect(refused.decisions).toEqual([]);
  expect(refused.status).toBe('pending');
  await eventually('carol told privately', () => s.sandbox.ephemerals({ channelId: CHANNEL, userId: 'U0CAROL' }).find((e) => e.text.includes('self-approval is not allowed')));

  await s.sandbox.click({ userId: 'U0DAVE', channelId: CHANNEL, messageTs: card.ts, actionId: APPROVE_ACTION });
  const result = (await approval.result()) as ApprovalResult;
  expect(result).toMatchObject({ status: 'approved', proceed: true });
  expect(result.decisions.map((d) => d.user.id)).toEqual(['U0DAVE']);
}

test('carol opens the incident with her own token, and may not approve its runbook’s approval', async () => {
  const id = unique('SELF');
  const opened = await s.api('POST', '/runbooks/gated-deploy/runs', CAROL_TOKEN, { inputs: { 'incident.id': id } });
  expect(opened.status).toBe(201);
  await carolIsRefusedDaveApproves(id);
  // The incident records the step once it sees the approval finish: a workflow task after the approval's own end.
  const incident = s.client.workflow.getHandle(String(opened.body.workflowId));
  const step = await eventually('the incident to record its approval step', async () => (await incident.query(incidentStateQuery)).steps.approval);
  expect(step).toEqual({ status: 'approved', approvedBy: ['U0DAVE'] });
});

test('carol opens the incident with /signalroom, and may not approve its runbook’s approval', async () => {
  const incidents = new IncidentService(s.client, s.worker.taskQueue, [RUNBOOKS]);
  const app = await buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config: s.config, integrations: s.integrations, incidents }) } });
  try {
    const id = unique('SLASH');
    const body = new URLSearchParams({ command: '/signalroom', text: `incident open gated-deploy ${id}`, user_id: 'U0CAROL', team_id: 'T0SANDBOX', api_app_id: 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x' }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(s.sandbox.signingSecret, ts, body) }, payload: body });
    expect(res.json().text).toContain(`Incident ${id} is open`);
    await carolIsRefusedDaveApproves(id);
  } finally {
    await app.close();
  }
});
