/**
 * A decided outcome stands. The card is posted in #qa-fail, the channel is
 * archived, then carol approves: she is told her approval is recorded, and
 * the final card update gets `cant_update_message`. That used to fail the
 * whole run (`approval status` exit 5, the API `failed`, a waiting pipeline
 * blocked although a person approved). Now the run is approved, and the card
 * that could not be updated is a problem recorded beside the outcome.
 */
import { WebClient } from '@slack/web-api';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { decideUpdate, incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { openIncident } from '../../../src/incidents/client';
import { runbookFrom, uniqueIncidentId } from '../../support/incidents';
import { approvalStack, card, eventually, READ_TOKEN, uniqueExecution, type ApprovalStack } from '../../support/approvals';

let stack: ApprovalStack;
beforeAll(async () => {
  stack = await approvalStack();
});
afterAll(() => stack?.close());

test('an approval whose channel was archived before the decision is approved, with "card: not updated" recorded beside it', async () => {
  const slack = new WebClient(stack.sandbox.botToken, { slackApiUrl: stack.sandbox.apiUrl, retryConfig: { retries: 0 } });
  const name = `qa-fail-${Date.now().toString(36)}`;
  const created = await slack.conversations.create({ name });
  const channel = created.channel!.id!;
  const execution = uniqueExecution('archived');
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'api', stage: 'production', execution, approverGroups: ['release'], destination: { channel: `#${name}` }, timeout: '5m' }),
    stack.worker.taskQueue,
  );
  await eventually('the approval card', () => card(stack.sandbox, execution, channel));
  await slack.conversations.archive({ channel });

  const outcome = await handle.executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'cli', by: { operator: 'ops@ci' } }] });
  expect(outcome).toMatchObject({ accepted: true, status: 'approved' });
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'approved', proceed: true, problems: ['card: not updated: cant_update_message'] });

  // What a pipeline reads from the API: approved, with the problem beside it.
  const api = await stack.api('GET', `/approvals/${encodeURIComponent(handle.workflowId)}`, READ_TOKEN);
  expect(api.status).toBe(200);
  expect(api.body).toMatchObject({ status: 'approved', proceed: true, problems: ['card: not updated: cant_update_message'] });
});

describe('an incident', () => {
  test('whose channel was archived before the resolve is resolved; the summary Slack refuses is a problem on its timeline', async () => {
    const runbook = runbookFrom(`
name: resolve-stands
inputs: [incident.id]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
  - Operation: Create Thread
    Message: "Updates for [incident.id]"
    ThreadUpdates: true
onResolve:
  - Operation: Send Message
    Message: "[resolution.summary]"
  - Operation: Archive Channel
`);
    const id = uniqueIncidentId('STANDS');
    const handle = await openIncident(stack.client, runbook, { 'incident.id': id }, stack.worker.taskQueue);
    const opened = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const slack = new WebClient(stack.sandbox.botToken, { slackApiUrl: stack.sandbox.apiUrl, retryConfig: { retries: 0 } });
    await slack.conversations.archive({ channel: opened.incident.channelId! });

    await handle.signal(incidentResolveSignal, { summary: 'Rolled back' });
    const result = await handle.result();
    expect(result.status).toBe('resolved');
    expect(result.timeline.filter((e) => e.kind === 'resolved')).toHaveLength(1);
    // The summary Slack refuses is a problem on the timeline; archiving an archived channel is already done.
    const problems = result.timeline.filter((e) => e.kind === 'error').map((e) => e.text);
    expect(problems).toEqual([expect.stringMatching(/Send Message .*: failed: .*is_archived/)]);
    expect(result.timeline.at(-1)).toMatchObject({ kind: 'step', text: expect.stringMatching(/^Archive Channel .*: done$/) });
  });
});
