/**
 * The break-glass review stack for a test file (the shared server stack:
 * sandbox Slack, worker, the real HTTP server as the sandbox's Request URL),
 * with a review channel, reviewer and approver groups, API tokens bound to
 * people, and a way to start a review as the approval workflow does.
 *
 * People: bob broke the glass (he is a reviewer too, so only the
 * self-review rule refuses him), alice reviews, carol and dave are the
 * approvers the break-glass skipped, erin is nobody in particular.
 */
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { WebClient } from '@slack/web-api';
import type { Message, Sandbox } from '../../src/sandbox';
import { breakGlassReview } from '../../workflows/review/workflow';
import { reviewWorkflowId, type BreakGlassReviewInput } from '../../core/holds/review';
import { serverStack, type ServerStack } from './server-stack';

export const REVIEW_CHANNEL = 'C0REVIEW';
export const INCIDENT_CHANNEL = 'C0INCIDENTS';
export const BREAKER = 'U0BOB';
export const REVIEWER = 'U0ALICE';
export const OUTSIDER = 'U0ERIN';
export const SKIPPED = ['U0CAROL', 'U0DAVE'];

/** Tokens bound to people: each signs off as its own user only. */
export const TOKENS = {
  alice: 'review-alice-token-0123456789',
  bob: 'review-bob-token-0123456789',
  erin: 'review-erin-token-0123456789',
  reader: 'review-reader-token-0123456789',
  anyone: 'review-anyone-token-0123456789',
};

export type ReviewStack = ServerStack;

export async function reviewStack(): Promise<ReviewStack> {
  const stack = await serverStack(() => ({
    approverGroups: {
      release: { userGroups: ['@release-managers'] },
      'change-review': { users: ['U0ALICE', 'U0BOB'] },
    },
    api: {
      tokens: [
        { name: 'alice', token: TOKENS.alice, permissions: ['approvals:read', 'approvals:decide'], slackUser: 'U0ALICE' },
        { name: 'bob', token: TOKENS.bob, permissions: ['approvals:read', 'approvals:decide'], slackUser: 'U0BOB' },
        { name: 'erin', token: TOKENS.erin, permissions: ['approvals:read', 'approvals:decide'], slackUser: 'U0ERIN' },
        { name: 'dashboard', token: TOKENS.reader, permissions: ['approvals:read'], slackUser: 'U0ALICE' },
        { name: 'ops', token: TOKENS.anyone, permissions: ['approvals:read', 'approvals:decide', 'approvals:decide-as-anyone'] },
      ],
    },
  }));
  stack.sandbox.seedChannels([{ id: REVIEW_CHANNEL, name: 'change-review', members: ['alice', 'bob', 'carol', 'dave', 'erin', 'bot'], purpose: 'Break-glass reviews' }]);
  return stack;
}

let seq = 0;
/** An approval id unique within the run: every test reviews its own break-glass. */
export function uniqueApprovalId(prefix = 'bg'): string {
  return `approval:api:production:${prefix}-${Date.now().toString(36)}${(++seq).toString(36)}`;
}

/** What the approval workflow hands its review after bob broke the glass over an incident's hold. */
export function reviewInput(approvalId: string, overrides: Partial<BreakGlassReviewInput> = {}): BreakGlassReviewInput {
  return {
    approvalId,
    approval: { pipeline: 'api', stage: 'production', execution: approvalId.split(':').at(-1)!, summary: 'Deploy api v1.43: the checkout fix' },
    breakGlass: { by: BREAKER, reason: 'The fix for INC-7 itself must ship now', at: new Date().toISOString(), overrode: ['INC-7 (SEV1, checkout)'] },
    reviewerGroups: ['change-review'],
    channel: REVIEW_CHANNEL,
    integration: 'organization',
    remindEveryMs: 2_000,
    skippedApprovers: SKIPPED,
    incidentChannels: [{ channel: INCIDENT_CHANNEL, label: 'INC-7 (SEV1, checkout)' }],
    ...overrides,
  };
}

/** Starts the review as the approval workflow would (by its id), straight through the client. */
export async function startReview(stack: ReviewStack, input: BreakGlassReviewInput): Promise<WorkflowHandleWithFirstExecutionRunId<typeof breakGlassReview>> {
  return stack.client.workflow.start(breakGlassReview, { workflowId: reviewWorkflowId(input.approvalId), taskQueue: stack.worker.taskQueue, args: [input] });
}

/** The review message of `execution` in the review channel (top-level). */
export function reviewMessage(sandbox: Sandbox, execution: string): Message | undefined {
  return sandbox.messages(REVIEW_CHANNEL).find((m) => !m.threadTs && m.text.includes(`(${execution})`) && m.text.includes('Break-glass review'));
}

/** The reminders in the review message's thread. */
export function reminders(sandbox: Sandbox, review: Message): Message[] {
  return sandbox.replies(REVIEW_CHANNEL, review.ts).filter((m) => m.text.includes('Reminder'));
}

/** The direct messages the app sent `userId` (what they read in the app's Messages tab), found as Slack lists them. */
export async function directMessages(sandbox: Sandbox, userId: string): Promise<Message[]> {
  const slack = new WebClient(sandbox.botToken, { slackApiUrl: sandbox.apiUrl });
  const ims = await slack.conversations.list({ types: 'im', limit: 1000 });
  const im = ims.channels?.find((c) => (c as { user?: string }).user === userId);
  return im?.id ? sandbox.messages(im.id) : [];
}

export { eventually } from './eventually';
export { buttons, toldTo, visibleText } from './approvals';
