/**
 * The approval card once the request failed (an approver group that does not
 * exist, a card Slack would no longer update…): it says so and why, and has
 * no buttons left, so nobody clicks on a request that can no longer decide.
 * Pure: the workflow builds it.
 */
import type { ApprovalState } from '../../../workflows/approval/types';
import { approvalBlocks } from './approval-card';

type Block = Record<string, unknown>;

/** The reason is Signalroom's or Slack's message and may quote names: shown as text, never markup. */
const asText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function failedApprovalText(state: ApprovalState, reason: string): string {
  const r = state.request;
  return `:x: Approval failed: ${r.pipeline} › ${r.stage} (${r.execution}) — ${asText(reason).slice(0, 500)}`;
}

export function failedApprovalBlocks(state: ApprovalState, reason: string): Block[] {
  const r = state.request;
  // The card's details stay; its progress and buttons go.
  const details = approvalBlocks(state).filter((b) => b.type !== 'header' && b.type !== 'actions' && b.type !== 'context');
  return [
    { type: 'header', text: { type: 'plain_text', text: `Approval failed: ${r.pipeline} › ${r.stage}`.slice(0, 150), emoji: true } },
    ...details,
    { type: 'section', text: { type: 'mrkdwn', text: `:x: *This request failed* and can no longer be decided here: ${asText(reason).slice(0, 2500)}` } },
  ];
}
