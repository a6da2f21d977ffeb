/**
 * Who may decide, and when an approval is complete: the rules the source
 * document left to channel membership, decided here against the approval's
 * own approver groups (SECURITY.md; docs/ARCHITECTURE.md, "How to add an approval policy rule"). Pure, so it is unit-tested directly.
 */
import { MAX_DURATION_MS } from '../runbook/duration';
import { approvalDuration } from './durations';
import type { ApprovalPolicy, ApprovalState, DecisionAttempt, RecordedApprovalInput, RefusedAttempt } from './types';
import { escapeMrkdwn, USER_ID } from '../slack/mrkdwn';

/** How many refusals a run keeps in full; older ones are only counted, per person. */
export const REFUSALS_KEPT = 20;
/** How many refusals of one person are answered; later ones are counted, not answered. */
export const REPLIES_PER_PERSON = 3;
/**
 * The most approvals a request may ask for, overall or from one group. Every
 * edge (API, CLI, runbook) refuses more, and the workflow checks again: a
 * number from outside never sizes anything the worker builds (SECURITY.md,
 * "An impossible minimum fails its run").
 */
export const MAX_APPROVALS = 50;
/**
 * How many people a run counts one by one among its refusals. Beyond it (a
 * flood of distinct ids, which only a holder of a signing secret can make),
 * refusals are counted together under OTHER_REFUSERS and not answered, so
 * the state stays bounded.
 */
export const REFUSERS_COUNTED = 500;
export const OTHER_REFUSERS = '*';

/** What configuration says about a set of approver groups (see config `approverGroups`). */
export interface GroupPolicyConfig {
  allowSelfApproval?: boolean;
  allowApproveOnTimeout?: boolean;
  /** The integrations that may carry the group's cards. @default ['organization'] */
  integrations?: readonly string[];
}

/** The integrations that may carry a group's cards when configuration does not say: the organization's only. */
export const DEFAULT_CARD_INTEGRATIONS: readonly string[] = ['organization'];

/**
 * Why `integration` may not carry the cards of a request asking `groups`, or
 * undefined when every group lets it. Whoever holds an integration's signing
 * secret can claim any user on the cards it carries (SECURITY.md), so a group
 * trusts only the integrations it names.
 */
export function carrierViolation(groups: readonly string[], integration: string, config: Record<string, GroupPolicyConfig | undefined>): string | undefined {
  for (const group of groups) {
    const allowed = config[group]?.integrations ?? DEFAULT_CARD_INTEGRATIONS;
    if (!allowed.includes(integration)) {
      return `the cards of approver group ${group} may be carried by ${allowed.join(', ')} only, not ${integration} (configuration: approverGroups.<group>.integrations)`;
    }
  }
  return undefined;
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
export function recordRefusal<R extends { user: { id: string } } = RefusedAttempt>(state: { refused: R[]; refusedCounts?: Record<string, number> }, refusal: R): number {
  state.refused.push(refusal);
  if (state.refused.length > REFUSALS_KEPT) state.refused.splice(0, state.refused.length - REFUSALS_KEPT);
  const counts = (state.refusedCounts ??= {});
  const id = refusal.user.id;
  const counted = Object.hasOwn(counts, id) || (USER_ID.test(id) && Object.keys(counts).length < REFUSERS_COUNTED);
  if (!counted) {
    counts[OTHER_REFUSERS] = (counts[OTHER_REFUSERS] ?? 0) + 1;
    return REPLIES_PER_PERSON + 1;
  }
  counts[id] = (counts[id] ?? 0) + 1;
  return counts[id];
}

/** Have this person's refusals used up the replies they get (or are they beyond the people counted)? */
export function refusalRepliesUsed(state: Pick<ApprovalState, 'refusedCounts'>, userId: string): boolean {
  const counts = state.refusedCounts ?? {};
  if (!Object.hasOwn(counts, userId)) return Object.hasOwn(counts, OTHER_REFUSERS);
  return counts[userId] > REPLIES_PER_PERSON;
}

export type Verdict = { ok: true; groups: string[] } | { ok: false; why: string };

export function groupsOf(state: Pick<ApprovalState, 'approvers'>, userId: string): string[] {
  // Own entries only: a group named `constructor` is a group, never Object.prototype's.
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
  // Each approval fills at most one seat: more seats than approvals cannot be filled, and are never
  // built (a minimum of a hundred million once allocated as many seats and aborted the worker).
  const total = mins.reduce((sum, [, min]) => sum + min, 0);
  if (!(total <= approvals.length)) return false;
  const seats = mins.flatMap(([group, min]) => Array.from({ length: min }, () => group));
  // Kuhn's augmenting paths: seats ≤ approvals, and exact.
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
  for (let who = 0; who < approvals.length && seatOf.size < seats.length; who++) tryAssign(who, new Set());
  return seatOf.size === seats.length;
}

/**
 * What in a run's input no edge would have let through, before anything is
 * built from it: a duration that is not a positive number of milliseconds
 * up to MAX_DURATION_MS (a date it cannot be would fail every workflow task).
 */
/** A service name, as holds and freezes match it (README, "Deploys and incidents"). */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

export function approvalInputProblem(request: RecordedApprovalInput): string | undefined {
  if (request.service !== undefined && !SERVICE_NAME.test(request.service)) return 'service: not a service name (1 to 100 letters, digits, . _ : / -)';
  for (const field of ['timeout', 'remindEvery', 'escalation.after'] as const) {
    let ms: number | undefined;
    try {
      ms = approvalDuration(request, field);
    } catch (err) {
      return `${field}: ${(err as Error).message}`;
    }
    if (ms !== undefined && !(typeof ms === 'number' && ms > 0 && ms <= MAX_DURATION_MS)) return `${field}: ${String(ms)} ms is not a duration between 1 ms and ${MAX_DURATION_MS} ms`;
  }
  return undefined;
}

const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1;

/**
 * Why the approvers resolved so far can never complete this request, or
 * undefined. `unresolved` names groups still to come (an escalation): their
 * minimums, and the overall one, wait until they are resolved. Checked by
 * the workflow for requests that reached it without the edge's checks
 * (started straight against Temporal), so that such a run fails saying why
 * instead of waiting for approvals nobody can give.
 */
export function approvalShortfall(state: ApprovalState, unresolved: readonly string[] = []): string | undefined {
  const selfApproval = effectivePolicy(state).selfApproval;
  const eligible = (group: string) => new Set((Object.hasOwn(state.approvers, group) ? state.approvers[group] : []).filter((u) => selfApproval || u !== state.requester));
  const perGroup = Object.entries(state.request.minPerGroup ?? {});
  for (const [group, min] of perGroup) {
    if (!isCount(min)) return `minPerGroup.${group} must be a positive whole number, got ${String(min)}`;
    if (unresolved.includes(group)) continue;
    const n = eligible(group).size;
    if (min > n) return `minPerGroup.${group} asks for ${min} approvals, and ${group} has ${people(n)} who may approve`;
  }
  if (!isCount(state.needed)) return `minApprovals must be a positive whole number, got ${String(state.needed)}`;
  const seats = perGroup.reduce((sum, [, min]) => sum + min, 0);
  const tooMany = [['minApprovals', state.needed] as const, ['minPerGroup', seats] as const].find(([, n]) => n > MAX_APPROVALS);
  if (tooMany) return `${tooMany[0]} asks for ${tooMany[1]} approvals${tooMany[0] === 'minPerGroup' ? ' in all' : ''}; a request may ask for at most ${MAX_APPROVALS}`;
  if (unresolved.length) return undefined;
  const everyone = [...new Set(Object.keys(state.approvers).flatMap((g) => [...eligible(g)]))];
  const groups = Object.keys(state.approvers).join(', ');
  if (state.needed > everyone.length) return `minApprovals asks for ${state.needed} approvals, and ${groups} have ${people(everyone.length)} who may approve`;
  const allApprove = everyone.map((id) => ({ verb: 'approve' as const, user: { id }, at: '', via: 'slack' as const, groups: groupsOf(state, id) }));
  if (!approvalsComplete({ ...state, decisions: allApprove })) return `the per-group minimums need more different people than ${groups} have: one person counts for one group only`;
  return undefined;
}
