/**
 * What the `signalroom approval` commands need from Signalroom, whichever
 * way they reach it: straight against Temporal (approvalsOverTemporal, on
 * the approvals service) or through the HTTP API (src/cli/api-client.ts).
 * Each command is written once against this port, so both ways print the
 * same and exit the same.
 */
import os from 'node:os';
import type { ApprovalRequest, DecidedBy, DecideOutcome } from '../../core/approval/types';
import { ApprovalInputError, ApprovalRefused } from './errors';
import type { ApprovalService, ApprovalVerdict, ApprovalView } from './service';

export type { ApprovalVerdict, ApprovalView };

/** A decision asked for from the CLI: `user` is whom it decides as (through the API: the token's own user when absent). */
export interface DecisionRequest {
  verb: 'approve' | 'reject';
  user?: string;
  reason?: string;
  inputs?: Record<string, string>;
}

/** An exception to a hold, or a break-glass, asked for from the CLI: `user` as for a decision; the reason is required. */
export interface OverrideRequest {
  kind: 'exception' | 'break-glass';
  user?: string;
  reason: string;
}

export interface CancelRequest {
  /** Who cancels (Slack user ID). */
  by?: string;
  reason?: string;
}

export interface ApprovalsPort {
  /** Starts the approval, or joins the running one asking the same (`created: false`). Bad requests throw ApprovalInputError. */
  request(request: ApprovalRequest): Promise<{ id: string; created: boolean }>;
  /**
   * The worker's first verdict on a request it started or joined: posted, or
   * failed; a refusal of the request throws ApprovalInputError. Absent where
   * the other side already waits for it or checks the request itself.
   */
  verdict?(id: string, onSlow?: () => void): Promise<ApprovalVerdict>;
  /** The approval as it stands, or its verdict once final. */
  get(id: string): Promise<ApprovalView>;
  /** Waits up to `ms` for the outcome: `done` with the final view, or the view as it stands. */
  wait(id: string, ms: number): Promise<{ done: boolean; approval: ApprovalView }>;
  /** A refusal is an outcome (`accepted: false`), never an error. */
  decide(id: string, decision: DecisionRequest): Promise<DecideOutcome>;
  /** Refused once final (`accepted: false`). */
  cancel(id: string, cancellation: CancelRequest): Promise<DecideOutcome>;
  /** An exception or a break-glass: a refusal is an outcome (`accepted: false`). */
  override(id: string, request: OverrideRequest): Promise<DecideOutcome>;
}

/** Who runs the CLI directly against Temporal: the OS user on this host, recorded with their decisions. */
export function cliOperator(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${os.hostname()}`;
}

async function refusalAsOutcome(outcome: Promise<DecideOutcome>): Promise<DecideOutcome> {
  try {
    return await outcome;
  } catch (err) {
    if (err instanceof ApprovalRefused) return err.outcome;
    throw err;
  }
}

/**
 * The port straight against Temporal, through the approvals service (the
 * same checks, and the same answer for a run that ends during an update, as
 * the API). Decisions and cancellations record `operator`.
 */
export function approvalsOverTemporal(service: ApprovalService, operator: DecidedBy = { operator: cliOperator() }): ApprovalsPort {
  return {
    request: (request) => service.create(request),
    verdict: (id, onSlow) => service.firstVerdict(id, onSlow),
    get: (id) => service.get(id),
    wait: (id, ms) => service.wait(id, ms),
    decide: async (id, { verb, user, reason, inputs }) => {
      if (!user) throw new ApprovalInputError('user', '--as <user> is required when deciding directly against Temporal');
      return refusalAsOutcome(service.decide(id, { verb, user: { id: user }, reason, inputs, via: 'cli', by: operator }));
    },
    cancel: (id, { by, reason }) => refusalAsOutcome(service.cancel(id, by, reason, operator)),
    override: async (id, { kind, user, reason }) => {
      if (!user) throw new ApprovalInputError('user', `--as <user> is required for ${kind === 'exception' ? 'an exception' : 'a break-glass'} directly against Temporal`);
      return refusalAsOutcome(service.override(id, { kind, user: { id: user }, reason, via: 'cli', by: operator }));
    },
  };
}
