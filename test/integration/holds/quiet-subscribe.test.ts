/**
 * An approval reads what holds it as it subscribes to the hold board, so the
 * board signals it only when something holds it: a burst of approvals with
 * nothing holding them costs the board no answer signals (bench/README.md,
 * Findings: the board's answers halved how fast approvals started), and one
 * a hold applies to is still held from its first card.
 */
import { temporal } from '@temporalio/proto';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { openIncident } from '../../../src/incidents/client';
import { incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { holdBoardId } from '../../../workflows/holds/board';
import { card, CHANNEL, eventually, uniqueExecution, visibleText } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { uniqueIncidentId } from '../../support/incidents';
import { HOLDS_RUNBOOK } from '../../support/holds';

let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({
    approverGroups: { release: { users: ['U0CAROL'] } },
    deploys: { holds: [{ severities: ['SEV1'], stages: ['production'], services: ['[incident.service]'] }] },
  }));
});
afterAll(() => stack?.close());

const service = `quiet-${Date.now().toString(36)}`;

async function request(forService: string) {
  const execution = uniqueExecution();
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'web', service: forService, stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }),
    stack.worker.taskQueue,
  );
  return { handle, execution };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;
const signalsNamed = (events: HistoryEvent[], name: string) => events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED && e.workflowExecutionSignaledEventAttributes?.signalName === name);

test('approvals nothing holds are not signalled by the board; one a hold applies to is held from its first card', async () => {
  const unheld = await Promise.all(Array.from({ length: 8 }, () => request(service)));
  for (const { execution } of unheld) await eventually('the card to be posted', () => card(stack.sandbox, execution));

  for (const { handle, execution } of unheld) {
    const events = (await handle.fetchHistory()).events ?? [];
    expect(signalsNamed(events, 'holdsChanged')).toHaveLength(0);
    expect(visibleText(card(stack.sandbox, execution)!)).not.toContain('Held by');
  }
  const board = stack.client.workflow.getHandle(holdBoardId(stack.worker.taskQueue));
  const boardEvents = (await board.fetchHistory()).events ?? [];
  const told = boardEvents.filter((e) => e.eventType === EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED);
  const toldUnheld = told.filter((e) => unheld.some(({ handle }) => e.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowExecution?.workflowId === handle.workflowId));
  expect(toldUnheld).toHaveLength(0);

  // A SEV1 on the service: a new request reads the hold as it subscribes, and the pending ones are told.
  const id = uniqueIncidentId('INC').toLowerCase();
  const incident = await openIncident(stack.client, HOLDS_RUNBOOK, { 'incident.id': id, 'incident.severity': 'SEV1', 'incident.service': service }, stack.worker.taskQueue, 'U0ERIN');
  await eventually('the incident to open', async () => (await incident.query(incidentStateQuery)).status === 'open');
  const held = await request(service);
  const first = await eventually('the held card', () => card(stack.sandbox, held.execution));
  expect(visibleText(first)).toContain('Held by');
  for (const { execution } of unheld) {
    await eventually('a pending card to switch to held', () => {
      const c = card(stack.sandbox, execution);
      return c && visibleText(c).includes('Held by');
    });
  }

  await incident.signal(incidentResolveSignal, { summary: 'fixed' });
  await eventually('the held card to resume', () => {
    const c = card(stack.sandbox, held.execution);
    return c && !visibleText(c).includes('Held by') && c;
  });
}, 120_000);
