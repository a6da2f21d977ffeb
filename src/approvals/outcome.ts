/**
 * What an approval's run means to people and pipelines: one status for the
 * CLI, the API and exit codes. A run that returned has its own status; a run
 * that failed, was terminated or timed out is `failed`, with the root cause
 * as the reason (never the wrapper's "Activity task failed").
 */
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { ApprovalResult, ApprovalState, ApprovalStatus } from '../../core/approval/types';
import { isHeld } from '../../core/holds/policy';

/** `held`: pending, and an incident or a freeze holds it (README, "Deploys and incidents"). */
export type ApprovalOutcomeStatus = ApprovalStatus | 'held' | 'failed';

/** Exit codes of `approval request --wait` and `approval status` (the CLI's exitCodeOf applies them). */
export const APPROVAL_EXIT: Record<ApprovalOutcomeStatus, number> = { approved: 0, rejected: 1, expired: 2, cancelled: 3, pending: 4, held: 4, failed: 5 };
/** `approval status` and `--wait` for an approval that expired while an incident or a freeze held it (`deploys.whileHeld: run`). */
export const EXIT_EXPIRED_HELD = 6;

/** A run as read from Temporal: its state, its result once it returned, or why it ended without one. */
export interface ApprovalRun {
  state?: Pick<ApprovalState, 'status'> & Partial<Pick<ApprovalState, 'holds' | 'exceptions' | 'breakGlass'>>;
  result?: Pick<ApprovalResult, 'status'>;
  /** What `handle.result()` threw: the run failed, was terminated, timed out or was cancelled. */
  failure?: unknown;
}

/** The one mapping from a run to the status people see, with the reason when it failed. */
export function approvalStatusOf(run: ApprovalRun): { status: ApprovalOutcomeStatus; reason?: string } {
  if (run.failure !== undefined) {
    if (causes(run.failure).some((c) => c instanceof CancelledFailure)) return { status: 'cancelled', reason: rootCause(run.failure) };
    return { status: 'failed', reason: rootCause(run.failure) };
  }
  if (!run.result && run.state && isHeld(run.state)) return { status: 'held' };
  return { status: run.result?.status ?? run.state?.status ?? 'pending' };
}

/**
 * The failures that refuse the request itself, each with the request field
 * at fault: the worker's start checks, which the API and the CLI make too
 * where they know the configuration (422, exit 64). A run failing with one
 * of them is answered as such a refusal, however the request entered.
 */
const REQUEST_REFUSALS: Record<string, string> = {
  'Signalroom:unknown_approver_group': 'approverGroups',
  'Signalroom:unresolvable_requester': 'requestedBy',
  'Signalroom:unknown_integration': 'destination',
  'Signalroom:project_not_allowed': 'destination.project',
  'Signalroom:unknown_webhook': 'destination.webhook',
  ApprovalBeyondPolicy: 'request',
  ImpossibleApproval: 'minApprovals',
  InvalidApprovalRequest: 'request',
};

/** The request field a failure refuses, with the reason; undefined for a failure that is not about the request (Slack down, a missing channel). */
export function requestRefusal(failure: unknown): { field: string; message: string } | undefined {
  const refusal = causes(failure).find((c): c is ApplicationFailure => c instanceof ApplicationFailure && typeof c.type === 'string' && Object.hasOwn(REQUEST_REFUSALS, c.type));
  return refusal ? { field: REQUEST_REFUSALS[refusal.type!]!, message: refusal.message } : undefined;
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && typeof e === 'object' && chain.length < 20; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** The innermost message of a failure: Signalroom's or Slack's explanation, not Temporal's wrappers. */
export function rootCause(err: unknown): string {
  const chain = causes(err);
  const terminated = chain.find((c) => c instanceof TerminatedFailure) as Error | undefined;
  if (terminated) return `terminated${terminated.message && terminated.message !== 'Workflow execution terminated' ? `: ${terminated.message}` : ''}`;
  if (chain.some((c) => c instanceof TimeoutFailure) && !chain.some((c) => (c as { name?: string }).name === 'ActivityFailure')) return 'timed out (the workflow run timeout passed)';
  const last = chain[chain.length - 1] as { message?: string } | undefined;
  return last?.message || String(err);
}
