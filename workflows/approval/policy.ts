/**
 * Who may decide, and when an approval is complete: the rules the source
 * document left to channel membership, decided here against the approval's
 * own approver groups (design rule 5). Pure, so it is unit-tested directly.
 */
import type { ApprovalPolicy, ApprovalState, DecisionAttempt, RefusedAttempt } from './types';
import { escapeMrkdwn } from '../../src/slack/mrkdwn';

/** How many refusals a run keeps in full; older ones are only counted, per person. */
export const REFUSALS_KEPT = 20;
/** How many refusals of one person are answered; later ones are counted, not answered. */
export const REPLIES_PER_PERSON = 3;

/** What configuration says about a set of approver groups (see config `approverGroups`). */
export interface GroupPolicyConfig {
  allowSelfApproval?: boolean;
  allowApproveOnTimeout?: boolean;
}

/**
 * The policy of a request asking `groups`: a permission holds only when every
 * group grants it, so adding a stricter group never loosens a request.
 */
export function policyOfGroups(groups: readonly string[], config: Record<string, GroupPolicyConfig | undefined>): ApprovalPolicy {
  const all = (key: keyof GroupPolicyConfig) => groups.length > 0 && groups.every((g) => config[g]?.[key] === true);
  return { allowSelfApproval: all('allowSelfApproval'), allowApproveOnTimeout: all('allowApproveOnTimeout') };
}

/**
 * What a request may actually do: it asks (allowSelfApproval, onTimeout),
 * configuration permits. Runs that began before policy came from
 * configuration have none and keep what they asked.
 */
export function effectivePolicy(state: Pick<ApprovalState, 'request' | 'policy'>): { selfApproval: boolean; approveOnTimeout: boolean } {
  const asked = { selfApproval: state.request.allowSelfApproval === true, approveOnTimeout: state.request.onTimeout === 'approve' };
  if (!state.policy) return asked;
  return { selfApproval: asked.selfApproval && state.policy.allowSelfApproval, approveOnTimeout: asked.approveOnTimeout && state.policy.allowApproveOnTimeout };
}

/** Where a request asks for more than configuration permits, named as the request names it; empty when it does not. */
export function policyViolations(request: Pick<ApprovalState['request'], 'allowSelfApproval' | 'onTimeout' | 'approverGroups'>, policy: ApprovalPolicy): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const groups = request.approverGroups.join(', ');
  if (request.allowSelfApproval && !policy.allowSelfApproval) {
    out.push({ field: 'allowSelfApproval', message: `allowSelfApproval: self-approval is not allowed for ${groups} (configuration: approverGroups.<group>.allowSelfApproval)` });
  }
  if (request.onTimeout === 'approve' && !policy.allowApproveOnTimeout) {
    out.push({ field: 'onTimeout', message: `onTimeout: approve on timeout is not allowed for ${groups} (configuration: approverGroups.<group>.allowApproveOnTimeout)` });
  }
  return out;
}

/** Records a refusal, keeping the last few in full and a count per person: a flood cannot grow the state. */
export function recordRefusal(state: Pick<ApprovalState, 'refused' | 'refusedCounts'>, refusal: RefusedAttempt): number {
  state.refused.push(refusal);
  if (state.refused.length > REFUSALS_KEPT) state.refused.splice(0, state.refused.length - REFUSALS_KEPT);
  const counts = (state.refusedCounts ??= {});
  counts[refusal.user.id] = (counts[refusal.user.id] ?? 0) + 1;
  return counts[refusal.user.id];
}

export type Verdict = { ok: true; groups: string[] } | { ok: false; why: string };

export function groupsOf(state: Pick<ApprovalState, 'approvers'>, userId: string): string[] {
  return Object.entries(state.approvers)
    .filter(([, members]) => members.includes(userId))
    .map(([group]) => group);
}

/** Why a decision or a cancellation comes too late, the same wherever it is refused (workflow, approvals service). */
export function alreadyFinal(state: Pick<ApprovalState, 'status' | 'outcomeNote'>): string {
  return `this approval is already ${state.status}${state.outcomeNote ? ` (${state.outcomeNote})` : ''}`;
}

export function judgeAttempt(state: ApprovalState, attempt: DecisionAttempt): Verdict {
  if (state.status !== 'pending') {
    return { ok: false, why: alreadyFinal(state) };
  }
  const groups = groupsOf(state, attempt.user.id);
  if (groups.length === 0) {
    const names = Object.keys(state.approvers).join(', ');
    return { ok: false, why: `you are not an approver for this request (approver groups: ${names})` };
  }
  if (!effectivePolicy(state).selfApproval && state.requester && state.requester === attempt.user.id) {
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
      return { ok: false, why: `"${escapeMrkdwn(field.label)}" is required to approve` };
    }
  }
  return { ok: true, groups };
}

/** May `userId` still decide this approval (an approver, not a refused requester, not decided yet, still pending)? */
export function mayStillDecide(state: ApprovalState, userId: string): boolean {
  if (state.status !== 'pending' || groupsOf(state, userId).length === 0) return false;
  if (!effectivePolicy(state).selfApproval && state.requester === userId) return false;
  return !state.decisions.some((d) => d.user.id === userId);
}

/** Everyone who may still decide: whom reminders and the UI name. */
export function whoMayStillDecide(state: ApprovalState): string[] {
  return [...new Set(Object.values(state.approvers).flat())].filter((u) => mayStillDecide(state, u));
}

/**
 * True when the approvals so far satisfy the overall and per-group minimums.
 * Per-group minimums are met by distinct people: one person in two groups
 * counts for one of them, never both (a bipartite matching of approvers to
 * the seats each group needs). Runs recorded before this rule pass
 * `distinctPeople: false` and keep counting a person for every group.
 */
export function approvalsComplete(state: ApprovalState, options: { distinctPeople?: boolean } = {}): boolean {
  const approvals = state.decisions.filter((d) => d.verb === 'approve');
  if (approvals.length < state.needed) return false;
  const mins = Object.entries(state.request.minPerGroup ?? {}).filter(([, min]) => min > 0);
  if (options.distinctPeople === false) return mins.every(([group, min]) => approvals.filter((d) => d.groups.includes(group)).length >= min);
  const seats = mins.flatMap(([group, min]) => Array.from({ length: min }, () => group));
  // Kuhn's augmenting paths: small (seats ≤ a few dozen), and exact.
  const seatOf = new Map<number, number>(); // seat → approval index
  const tryAssign = (who: number, seen: Set<number>): boolean => {
    for (let seat = 0; seat < seats.length; seat++) {
      if (seen.has(seat) || !approvals[who].groups.includes(seats[seat])) continue;
      seen.add(seat);
      const holder = seatOf.get(seat);
      if (holder === undefined || tryAssign(holder, seen)) {
        seatOf.set(seat, who);
        return true;
      }
    }
    return false;
  };
  for (let who = 0; who < approvals.length; who++) tryAssign(who, new Set());
  return seatOf.size === seats.length;
}
