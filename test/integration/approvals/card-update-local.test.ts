/**
 * A click's card update runs as a local activity, in the workflow task that
 * took the click (docs/ARCHITECTURE.md, "The path of a click"): the card
 * shows the decision with no updateMessage scheduled on the task queue.
 * (A card Slack refuses to update stays a problem beside the outcome:
 * decision-stands.test.ts.)
 */
import type { temporal } from '@temporalio/proto';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalStack, card, CHANNEL, eventually, uniqueExecution, visibleText, type ApprovalStack } from '../../support/approvals';

let stack: ApprovalStack;
beforeAll(async () => {
  stack = await approvalStack();
});
afterAll(() => stack?.close());

type History = temporal.api.history.v1.IHistory;

/** The activity types of a history's local activities, from their markers. */
function localActivities(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const data = marker.details?.data?.payloads?.[0]?.data;
    return data ? [String((JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type)] : [];
  });
}

const scheduled = (history: History) => (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [String(e.activityTaskScheduledEventAttributes.activityType?.name)] : []));

async function request(execution: string, minApprovals = 2) {
  return requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'local-card', stage: 'prod', execution, approverGroups: ['release', 'sre'], minApprovals, destination: { channel: CHANNEL }, timeout: '5m' }),
    stack.worker.taskQueue,
  );
}

test("a click's card update is a local activity: the card shows it, and no updateMessage went through the task queue", async () => {
  const execution = uniqueExecution('local');
  const handle = await request(execution);
  const posted = await eventually('the card', () => card(stack.sandbox, execution));
  await stack.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  await eventually('the card to say 1 of 2', () => visibleText(card(stack.sandbox, execution)!).includes('1 of 2'));
  await stack.sandbox.click({ userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  expect((await handle.result()).status).toBe('approved');
  expect(visibleText(card(stack.sandbox, execution)!)).toContain('Approved by <@U0CAROL>, <@U0ALICE>');

  // The card keeps what it was posted with (the post's idempotency key beside the pipeline's names) and its latest version.
  expect(card(stack.sandbox, execution)!.metadata).toEqual({
    event_type: 'signalroom_message',
    event_payload: { pipeline: 'local-card', stage: 'prod', execution, signalroom_key: `${handle.workflowId}/approval-card`, signalroom_version: expect.any(Number) },
  });

  const history = await handle.fetchHistory();
  expect(localActivities(history).filter((t) => t === 'updateMessage').length).toBeGreaterThanOrEqual(2);
  expect(scheduled(history)).not.toContain('updateMessage');
});
