/**
 * What an approval's run means to people and pipelines: one status for the
 * CLI, the API and exit codes. A run that returned has its own status; a run
 * that failed, was terminated or timed out is `failed`, with the root cause
 * as the reason (never the wrapper's "Activity task failed").
 */
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { ApprovalResult, ApprovalState, ApprovalStatus } from '../../workflows/approval/types';

export type ApprovalOutcomeStatus = ApprovalStatus | 'failed';

/** Exit codes of `approval request --wait` and `approval status` (the CLI's exitCodeOf applies them). */
export const APPROVAL_EXIT: Record<ApprovalOutcomeStatus, number> = { approved: 0, rejected: 1, expired: 2, cancelled: 3, pending: 4, failed: 5 };

/** A run as read from Temporal: its state, its result once it returned, or why it ended without one. */
export interface ApprovalRun {
  state?: Pick<ApprovalState, 'status'>;
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
  return { status: run.result?.status ?? run.state?.status ?? 'pending' };
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
