/**
 * Attack: lifting a hold without the right to. Mallory (erin, in the
 * workspace, no responder, not added by the incident) wants her deploy out
 * during a SEV1: she tries to resolve the incident, lower its severity below
 * the held levels and make herself commander with /signalroom, and opens an
 * incident of the same id to squat it. Each is refused; the approval stays
 * held by the real incident (SECURITY.md, "Holds, exceptions and break-glass").
 */
import path from 'node:path';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { approvalStateQuery } from '../../../workflows/messages';
import { CHANNEL, card, uniqueExecution, visibleText } from '../../support/approvals';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let incidents: IncidentService;
beforeAll(async () => {
  s = await securityStack({
    config: {
      approverGroups: { release: { userGroups: ['@release-managers'] }, oncall: { users: ['U0ALICE'] } },
      incidents: { responderGroups: ['oncall'] },
      deploys: { holds: [{ severities: ['SEV1'], stages: ['production'], services: ['[incident.service]'] }] },
    },
  });
  incidents = new IncidentService(s.client, s.worker.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
});
afterAll(() => s?.close());

let triggers = 0;
async function command(text: string, user: string) {
  const app = await buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config: s.config, integrations: s.integrations, incidents }) } });
  try {
    const body = new URLSearchParams({ command: '/signalroom', text, user_id: user, team_id: 'T0SANDBOX', api_app_id: 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x', trigger_id: `${++triggers}.${Date.now()}` }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(s.sandbox.signingSecret, ts, body) }, payload: body });
    return (res.json() as { text: string }).text;
  } finally {
    await app.close();
  }
}

test('attack: someone who may not change the incident resolves it, lowers it, makes herself commander, or squats its id: the hold stays', async () => {
  const id = `SQ-${Date.now().toString(36)}`;
  const service = `checkout-${Date.now().toString(36)}`;
  expect(await command(`incident open seed-example ${id} SEV1 ${service} Payments down`, 'U0ALICE')).toContain(`Incident ${id} is open`);
  await eventually('the incident open', async () => (await incidents.state(id)).status === 'open' || undefined);
  const execution = uniqueExecution();
  const handle = await requestApproval(s.client, normalizeApprovalRequest({ pipeline: 'web', service, stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }), s.worker.taskQueue);
  await eventually('the held card', () => {
    const c = card(s.sandbox, execution);
    return c && visibleText(c).includes(`Held by ${id} (SEV1, ${service})`) && c;
  });

  expect(await command(`incident resolve ${id} done`, 'U0ERIN')).toMatch(/^Not done: only a member of oncall or someone the incident added may resolve/);
  expect(await command(`incident severity ${id} SEV4`, 'U0ERIN')).toMatch(/^Not done: only a member of oncall or someone the incident added may/);
  expect(await command(`incident role ${id} commander <@U0ERIN>`, 'U0ERIN')).toMatch(/^Not done: only a member of oncall or someone the incident added may/);
  expect(await command(`incident open seed-example ${id} SEV4 ${service} mine now`, 'U0ERIN')).toMatch(/^Not done: only a member of oncall may open incidents/);

  const state = await incidents.state(id);
  expect(state).toMatchObject({ status: 'open', commander: 'U0ALICE', incident: expect.objectContaining({ severity: 'SEV1' }) });
  expect((await handle.query(approvalStateQuery)).holds?.map((h) => h.id)).toEqual([state.workflowId]);
  expect(visibleText(card(s.sandbox, execution)!)).toContain('Held by');
  await handle.cancel();
  await incidents.resolve(id, 'U0ALICE');
});
