/**
 * A lost chat.postMessage response in a public channel the bot has not
 * joined. The bot may post there (chat:write.public) but Slack refuses to let
 * it read the channel (not_in_channel), and reading is how a retry finds the
 * message the lost attempt posted. An approval card and an incident
 * notification each end as exactly one message, and the approval still works.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { normalizeApprovalRequest, requestApproval } from '../../src/approvals/client';
import { openIncident } from '../../src/incidents/client';
import { APPROVE_ACTION } from '../../core/slack/blocks/approval-card';
import type { approval } from '../../workflows/approval/workflow';
import { incidentResolveSignal, incidentStateQuery } from '../../workflows/messages';
import { approvalStack, buttons, eventually, uniqueExecution, visibleText, type ApprovalStack } from '../support/approvals';
import { runbookFrom, uniqueIncidentId } from '../support/incidents';

const GENERAL = 'C0GENERAL';
let stack: ApprovalStack;

beforeAll(async () => {
  stack = await approvalStack();
});
afterAll(() => stack?.close());

test('an approval card to #general, which the bot is not in, with the post\'s response lost: one card, and it still approves', async () => {
  const { sandbox } = stack;
  expect(sandbox.channel(GENERAL)!.members.has(sandbox.botUserId)).toBe(false);
  const execution = uniqueExecution('general');
  sandbox.faults.inject('chat.postMessage', { kind: 'drop_response' });
  const handle: WorkflowHandle<typeof approval> = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'api', stage: 'production', execution, approverGroups: ['release'], destination: { channel: '#general' }, timeout: '5m' }),
    stack.worker.taskQueue,
  );
  const cards = () => sandbox.messages(GENERAL).filter((m) => !m.threadTs && m.text.includes(`(${execution})`));
  const posted = await eventually('the card in #general', () => cards()[0] && buttons(cards()[0]!).length > 0 && cards()[0]);

  const click = await sandbox.click({ userId: 'U0CAROL', channelId: GENERAL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  expect(click.response.status).toBe(200);
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'approved', proceed: true });
  expect(cards()).toHaveLength(1);
  expect(visibleText(cards()[0]!)).toContain('Approved by <@U0CAROL>');
  expect(buttons(cards()[0]!)).toEqual([]);
});

test('an incident notification to #general, which the bot is not in, with the post\'s response lost: one message, no error', async () => {
  const { sandbox } = stack;
  const id = uniqueIncidentId('GEN');
  const runbook = runbookFrom(`
name: announce-in-general
steps:
  - Operation: Send Message
    Channel: "#general"
    Message: "Incident [incident.id] opened"
`);
  sandbox.faults.inject('chat.postMessage', { kind: 'drop_response' });
  const handle = await openIncident(stack.client, runbook, { 'incident.id': id }, stack.worker.taskQueue);
  const state = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  expect(state.timeline.filter((e) => e.kind === 'error')).toEqual([]);
  expect(sandbox.messages(GENERAL).filter((m) => m.text === `Incident ${id} opened`)).toHaveLength(1);
  await handle.signal(incidentResolveSignal, {});
  expect((await handle.result()).status).toBe('resolved');
});
