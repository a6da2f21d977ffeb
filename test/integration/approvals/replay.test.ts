/**
 * Recorded approval histories replayed against the current workflow code, so
 * a change cannot break approvals already waiting in production (they wait
 * for hours). A change that alters the commands of a recorded run fails here:
 * guard it with `patched()` (see the README), don't re-record.
 *
 * Re-recording (only for a deliberate, compatible change of the fixtures):
 *   SIGNALROOM_RECORD_HISTORIES=1 npx jest test/integration/approvals/replay
 */
import { approvalWorkflowId, requestApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { decideUpdate } from '../../../workflows/messages';
import type { ApprovalRequest } from '../../../core/approval/types';
import { recordHistory, replayRecordedRun } from '../../support/history';
import { approvalStack, card, CHANNEL, eventually, type ApprovalStack } from '../../support/approvals';

const base: Pick<ApprovalRequest, 'pipeline' | 'stage' | 'approverGroups' | 'destination'> = { pipeline: 'replay', stage: 'prod', approverGroups: ['release', 'sre'], destination: { channel: CHANNEL } };

/** Each fixture: the history file, the request, and what happened to it while it was recorded. */
const FIXTURES: Array<{ file: string; request: ApprovalRequest; story: (stack: ApprovalStack, request: ApprovalRequest) => Promise<void> }> = [
  {
    // Clicks in Slack: an outsider refused, two approvers, the second one decides.
    file: 'approval-clicks.json',
    request: { ...base, execution: 'clicks', minApprovals: 2, timeout: '10m' },
    story: async ({ sandbox }, r) => {
      const c = await eventually('the card', () => card(sandbox, r.execution));
      for (const userId of ['U0ERIN', 'U0CAROL', 'U0ALICE']) await sandbox.click({ userId, channelId: CHANNEL, messageTs: c.ts, actionId: APPROVE_ACTION });
    },
  },
  {
    // Nobody decides: a reminder, an escalation, then the timeout updates the card.
    file: 'approval-expired.json',
    request: { ...base, approverGroups: ['release'], execution: 'expired', timeout: '5s', remindEvery: '2s', escalation: { after: '3s', approverGroups: ['sre'] } },
    story: async () => undefined,
  },
  {
    // Decided from the CLI/API with an identity: a rejection with a reason.
    file: 'approval-rejected-api.json',
    request: { ...base, execution: 'rejected', timeout: '10m' },
    story: async ({ sandbox, client }, r) => {
      await eventually('the card', () => card(sandbox, r.execution));
      await client.workflow.getHandle(approvalWorkflowId(r)).executeUpdate(decideUpdate, {
        args: [{ verb: 'reject', user: { id: 'U0DAVE', name: 'dave' }, via: 'cli', reason: 'Change freeze' }],
      });
    },
  },
];

/**
 * Histories recorded by earlier versions of the workflow, kept to prove that
 * approvals already waiting replay after a `patched()` change. Never re-recorded.
 */
const RECORDED_BEFORE = [
  // before `patched('resolve-integration-locally')`: the integration was resolved by a regular activity
  ...FIXTURES.map((f) => ({ ...f, file: f.file.replace(/\.json$/, '.before-local-integration.json'), workflowId: `approval-replay-prod-${f.request.execution}` })),
  // before `patched('approval-trust')`: clicks unchecked against the card, refusals unbounded, replies one by one, ids joined with '-'
  ...FIXTURES.map((f) => ({ ...f, file: f.file.replace(/\.json$/, '.before-trust.json'), workflowId: `approval-replay-prod-${f.request.execution}` })),
  // before durations were milliseconds in the workflow's input: `timeout: '10m'`, `remindEvery: '2s'`, `escalation.after: '3s'` as text
  ...FIXTURES.map((f) => ({ ...f, file: f.file.replace(/\.json$/, '.before-ms-durations.json'), workflowId: approvalWorkflowId(f.request) })),
  // before `patched('card-update-local')`: every card update was a regular activity
  ...FIXTURES.map((f) => ({ ...f, file: f.file.replace(/\.json$/, '.before-local-card.json'), workflowId: approvalWorkflowId(f.request) })),
];

const recording = process.env.SIGNALROOM_RECORD_HISTORIES === '1';

(recording ? describe : describe.skip)('recording fixtures (skipped unless SIGNALROOM_RECORD_HISTORIES=1: it rewrites the committed histories)', () => {
  let stack: ApprovalStack;
  beforeAll(async () => {
    stack = await approvalStack();
  });
  afterAll(() => stack?.close());

  test.each(FIXTURES)('records $file', async (f) => {
    const handle = await requestApproval(stack.client, f.request, stack.worker.taskQueue);
    await f.story(stack, f.request);
    await handle.result();
    recordHistory(handle.workflowId, f.file);
  });
});

describe('replay', () => {
  test.each([...FIXTURES.map((f) => ({ ...f, workflowId: approvalWorkflowId(f.request) })), ...RECORDED_BEFORE])('$file replays on the current approval workflow', async (f) => {
    await replayRecordedRun(f.file, f.workflowId);
  });
});
