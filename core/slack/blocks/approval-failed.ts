/**
 * The approval card once the request failed (an approver group that does not
 * exist, a card Slack would no longer update…): it says so and why, and has
 * no buttons left, so nobody clicks on a request that can no longer decide.
 * Pure: the workflow builds it.
 */
import type { ApprovalState } from '../../approval/types';
import { escapeMrkdwn as asText } from '../mrkdwn';
import { approvalBlocks } from './approval-card';
import type { SlackBlock } from './block';

export function failedApprovalText(state: ApprovalState, reason: string): string {
  const r = state.request;
  // The request's names and the reason (which may quote names) are shown as text, never markup.
  return `:x: Approval failed: ${asText(r.pipeline)} › ${asText(r.stage)} (${asText(r.execution)}) — ${asText(reason).slice(0, 500)}`;
}

export function failedApprovalBlocks(state: ApprovalState, reason: string): SlackBlock[] {
  const r = state.request;
  // The card's details stay; its progress and buttons go.
  const details = approvalBlocks(state).filter((b) => b.type !== 'header' && b.type !== 'actions' && b.type !== 'context');
  return [
    { type: 'header', text: { type: 'plain_text', text: `Approval failed: ${r.pipeline} › ${r.stage}`.slice(0, 150), emoji: true } },
    ...details,
    { type: 'section', text: { type: 'mrkdwn', text: `:x: *This request failed* and can no longer be decided here: ${asText(reason).slice(0, 2500)}` } },
  ];
}
