/**
 * With `deploys.whileHeld: run`, an approval's timeout runs while an incident
 * holds it. One that expires held is rejected whatever `onTimeout` asked (a
 * timeout never approves past a hold), says so on its card, and the CLI's
 * `approval status` exits 6. With the default, `pause`, the clock stops.
 */
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { openIncident } from '../../../src/incidents/client';
import { approvalStateQuery, incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { card, CHANNEL, eventually, uniqueExecution, visibleText } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { uniqueIncidentId } from '../../support/incidents';
import { HOLDS_RUNBOOK } from '../../support/holds';
import { runSignalroom } from '../../support/ops';

let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({
    approverGroups: { lenient: { users: ['U0BOB'], allowApproveOnTimeout: true } },
    deploys: { holds: [{ severities: ['SEV1'], stages: ['production'], services: ['[incident.service]'] }], whileHeld: 'run' },
  }));
});
afterAll(() => stack?.close());


test('expired while held: rejected although onTimeout is approve, the card says so, and approval status exits 6', async () => {
  const service = `svc-${uniqueExecution()}`;
  const incident = await openIncident(stack.client, HOLDS_RUNBOOK, { 'incident.id': uniqueIncidentId('EXP').toLowerCase(), 'incident.severity': 'SEV1', 'incident.service': service }, stack.worker.taskQueue, 'U0ERIN');
  await eventually('the incident to open', async () => (await incident.query(incidentStateQuery)).status === 'open' || undefined);
  const execution = uniqueExecution();
  const handle = await requestApproval(stack.client, normalizeApprovalRequest({ pipeline: 'web', service, stage: 'production', execution, approverGroups: ['lenient'], destination: { channel: CHANNEL }, timeout: '4s', onTimeout: 'approve' }), stack.worker.taskQueue);
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'expired', proceed: false, expiredHeld: true });
  expect(result.outcomeNote).toMatch(/while held \(Held by .*\): rejected/);
  expect(visibleText(card(stack.sandbox, execution)!)).toContain('while held');
  expect((await handle.query(approvalStateQuery)).expiredHeld).toBe(true);

  const status = await runSignalroom(['approval', 'status', handle.workflowId], { env: { TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default', SIGNALROOM_CONFIG: undefined, LOG_LEVEL: 'error' } });
  expect(status.stdout).toContain(`${handle.workflowId}: expired`);
  expect(status.code).toBe(6);
  await incident.signal(incidentResolveSignal, { resolvedBy: 'U0ERIN' });
});
