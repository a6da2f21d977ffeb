/**
 * The approval's data: what a pipeline asks for, what the workflow records,
 * what it returns. Pure types, shared by the workflow, the CLI and the API.
 */
import type { BreakGlass, Hold, HoldException } from '../holds/types';

/** Where the approval card goes: a channel through an integration, or a configured incoming webhook. */
export type ApprovalDestination =
  | { channel: string; project?: string; connector?: string; integration?: string }
  | { webhook: string; project?: string };

export interface ApproverInputField {
  /** Key in the result's `inputs`. */
  name: string;
  label: string;
  required?: boolean;
}

export interface ApprovalRequest {
  pipeline: string;
  stage: string;
  execution: string;
  /** The service deployed: what incident holds and freezes match (README, "Deploys and incidents"). @default the pipeline */
  service?: string;
  /** Link to the pipeline run. */
  link?: string;
  /** One line saying what is being approved ("Deploy api v1.42 to production"). */
  summary?: string;
  /** The executor: a Slack user ID or an email. */
  requestedBy?: string;
  /** Approver group names from configuration (`approverGroups`). */
  approverGroups: string[];
  /** Approvals needed overall. @default 1 */
  minApprovals?: number;
  /** Approvals needed from each group, by group name. */
  minPerGroup?: Record<string, number>;
  /**
   * Asks that the executor may approve their own run. Granted only where
   * configuration allows it for every approver group. @default false
   */
  allowSelfApproval?: boolean;
  /** How long to wait, e.g. '30m'. @default DEFAULT_APPROVAL_TIMEOUT (core/approval/durations.ts) */
  timeout?: string;
  /** What the timeout means; `approve` only where configuration allows it for every approver group. @default 'reject' */
  onTimeout?: 'reject' | 'approve';
  /** Remind the approvers every so often, e.g. '10m'. */
  remindEvery?: string;
  /** Widen the approvers after a delay. */
  escalation?: { after: string; approverGroups: string[] };
  /** Does a rejection need a reason (asked in a modal)? @default false */
  rejectionNeedsReason?: boolean;
  /** Fields an approver fills in, returned to the pipeline. */
  inputs?: ApproverInputField[];
  destination: ApprovalDestination;
  /** Told the outcome once the approval is decided, beside its card (activities/outcomes.ts). */
  notify?: OutcomeTarget[];
}

/**
 * Where an approval's outcome is told once decided, for a pipeline that waits
 * without a runner: a callback URL (Argo, Jenkins, Buildkite, Tekton), or a
 * GitHub deployment protection rule. Secrets never travel here: a target names
 * what configuration holds (the GitHub app by name).
 */
export type OutcomeTarget =
  | { kind: 'callback'; url: string }
  | { kind: 'github'; app: string; installationId: number; repository: string; environment: string; runId: number; /** The run's page, linked from the answer's comment. */ runUrl?: string };

/** What a target is told. */
export interface OutcomeReport {
  approvalId: string;
  status: ApprovalStatus;
  /** May what it gates go on? */
  proceed: boolean;
  decisions: RecordedDecision[];
  inputs: Record<string, string>;
  outcomeNote?: string;
  /** A link to the card in Slack, when it has one. */
  permalink?: string;
}

/** What telling a target found at its end. */
export interface OutcomeDelivery {
  /** The target's side ended meanwhile (GitHub: the run was cancelled): the approval ends so, saying why. */
  superseded?: { status: 'cancelled'; note: string };
}

/**
 * The approval workflow's input: a request as checked where it entered
 * (CLI, API, a runbook), its durations parsed there once, in milliseconds.
 */
export interface ApprovalInput extends Omit<ApprovalRequest, 'timeout' | 'remindEvery' | 'escalation'> {
  timeoutMs: number;
  remindEveryMs?: number;
  escalation?: { afterMs: number; approverGroups: string[] };
}

/**
 * What a run's history may hold as its input: runs started before durations
 * were milliseconds carry the request with its durations as text ('10m', '3600000ms').
 */
export type RecordedApprovalInput = ApprovalInput | ApprovalRequest;

/** Where an approval stands, as its run records it (the views add `failed` for a run that failed). */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** What configuration permits the approver groups of a request (never the request itself). */
export interface ApprovalPolicy {
  allowSelfApproval: boolean;
  allowApproveOnTimeout: boolean;
}

/** Who made a decision through the API or CLI: the token's name, or the operator at the CLI. */
export interface DecidedBy {
  token?: string;
  operator?: string;
}

export interface Identity {
  /** Slack user ID. */
  id: string;
  name?: string;
}

/** An exception to a hold, or a break-glass, from a card's modal, the CLI or the API (a reason is required). */
export interface HoldOverrideAttempt {
  kind: 'exception' | 'break-glass';
  user: Identity;
  reason?: string;
  via: 'slack' | 'cli' | 'api';
  by?: DecidedBy;
  responseUrl?: string;
  channelId?: string;
}

/** A decision attempt, from a click, a modal, the CLI or the API. */
export interface DecisionAttempt {
  verb: 'approve' | 'reject';
  user: Identity;
  reason?: string;
  inputs?: Record<string, string>;
  /** Where it came from. */
  via: 'slack' | 'cli' | 'api';
  /** API and CLI decisions: the token or operator that made it (recorded with the decision). */
  by?: DecidedBy;
  /** A click's response_url: where the clicker is answered. */
  responseUrl?: string;
  channelId?: string;
}

export interface RecordedDecision {
  verb: 'approve' | 'reject';
  user: Identity;
  at: string;
  via: DecisionAttempt['via'];
  reason?: string;
  inputs?: Record<string, string>;
  groups: string[];
  /** API and CLI decisions: the token or operator that made it. */
  by?: DecidedBy;
}

export interface RefusedAttempt {
  verb: 'approve' | 'reject' | 'exception' | 'break-glass';
  user: Identity;
  at: string;
  via: DecisionAttempt['via'];
  why: string;
  by?: DecidedBy;
}

export interface ApprovalState {
  workflowId: string;
  status: ApprovalStatus;
  request: RecordedApprovalInput;
  /** Eligible approvers per group (Slack user IDs), as resolved at start (and escalation). */
  approvers: Record<string, string[]>;
  requester?: string;
  approvals: number;
  needed: number;
  decisions: RecordedDecision[];
  /** The most recent refusals (at most REFUSALS_KEPT); older ones are counted in refusedCounts. */
  refused: RefusedAttempt[];
  /**
   * What went wrong beside the outcome, which it never changes: a card Slack
   * would not update (`card: not updated: is_archived`), say.
   */
  problems?: string[];
  /** Refusals per person over the whole run; beyond REFUSERS_COUNTED people, the rest under `*`. */
  refusedCounts?: Record<string, number>;
  /** What configuration permits this request (absent in runs begun before it did). */
  policy?: ApprovalPolicy;
  expiresAt: string;
  escalated: boolean;
  /** The Slack integration that posted the card (a name, never a token); undefined for a webhook card. */
  integration?: string;
  message?: { channel: string; ts: string; permalink?: string };
  /** Set when a final state was reached. */
  finishedAt?: string;
  /** A cancellation through the API or CLI: the token or operator that made it. */
  cancelledBy?: DecidedBy;
  outcomeNote?: string;
  /**
   * What holds it now: open incidents and freezes that match its stage and
   * service (core/holds). It cannot be approved while one does, unless an
   * exception to it is granted, or the glass is broken.
   */
  holds?: Hold[];
  /** Exceptions granted to its holds, one per hold. */
  exceptions?: HoldException[];
  /** Who asked for an exception, and why (the most recent EXCEPTION_REQUESTS_KEPT). */
  exceptionRequests?: Array<{ by: string; reason: string; at: string }>;
  /** May a held card offer Break glass (configuration `deploys.breakGlass`)? */
  breakGlassOpen?: boolean;
  /** A break-glass that let it through every hold and approver. */
  breakGlass?: BreakGlass;
  /** Since when a hold has held it (absent while nothing does). */
  heldSince?: string;
  /** Time held so far (ms). With `deploys.whileHeld: pause` its deadline moved by as much. */
  heldMs?: number;
  /** It expired while held (`deploys.whileHeld: run`): never approved by a timeout, whatever `onTimeout` says. */
  expiredHeld?: boolean;
}

export type ApprovalResult = Pick<ApprovalState, 'workflowId' | 'status' | 'decisions' | 'refused' | 'finishedAt' | 'outcomeNote' | 'message' | 'problems' | 'holds' | 'exceptions' | 'breakGlass' | 'expiredHeld'> & {
  inputs: Record<string, string>;
  /**
   * May the pipeline go on? True when approved, or expired with `onTimeout: 'approve'`.
   * (Optional only for results recorded before it existed.)
   */
  proceed?: boolean;
};

export interface DecideOutcome {
  accepted: boolean;
  /** Why it was refused, or what it did. */
  message: string;
  status: ApprovalStatus;
}
