/**
 * Who may decide, and when an approval is complete: the rules the source
 * document left to channel membership, decided here against the approval's
 * own approver groups (design rule 5). Pure, so it is unit-tested directly.
 */
import type { ApprovalState, DecisionAttempt } from './types';

export type Verdict = { ok: true; groups: string[] } | { ok: false; why: string };

export function groupsOf(state: Pick<ApprovalState, 'approvers'>, userId: string): string[] {
  return Object.entries(state.approvers)
    .filter(([, members]) => members.includes(userId))
    .map(([group]) => group);
}

export function judgeAttempt(state: ApprovalState, attempt: DecisionAttempt): Verdict {
  if (state.status !== 'pending') {
    return { ok: false, why: `this approval is already ${state.status}${state.outcomeNote ? ` (${state.outcomeNote})` : ''}` };
  }
  const groups = groupsOf(state, attempt.user.id);
  if (groups.length === 0) {
    const names = Object.keys(state.approvers).join(', ');
    return { ok: false, why: `you are not an approver for this request (approver groups: ${names})` };
  }
  if (!state.request.allowSelfApproval && state.requester && state.requester === attempt.user.id) {
    return { ok: false, why: 'you requested this run, and self-approval is not allowed' };
  }
  if (state.decisions.some((d) => d.user.id === attempt.user.id)) {
    return { ok: false, why: 'you have already decided on this request' };
  }
  if (attempt.verb === 'reject' && state.request.rejectionNeedsReason && !attempt.reason?.trim()) {
    return { ok: false, why: 'a rejection needs a reason' };
  }
  for (const field of state.request.inputs ?? []) {
    if (attempt.verb === 'approve' && field.required && !attempt.inputs?.[field.name]?.trim()) {
      return { ok: false, why: `"${field.label}" is required to approve` };
    }
  }
  return { ok: true, groups };
}

/** True when the approvals so far satisfy the overall and per-group minimums. */
export function approvalsComplete(state: ApprovalState): boolean {
  const approvals = state.decisions.filter((d) => d.verb === 'approve');
  if (approvals.length < state.needed) return false;
  for (const [group, min] of Object.entries(state.request.minPerGroup ?? {})) {
    if (approvals.filter((d) => d.groups.includes(group)).length < min) return false;
  }
  return true;
}
