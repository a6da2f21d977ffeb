/**
 * The approval's data: what a pipeline asks for, what the workflow records,
 * what it returns. Pure types, shared by the workflow, the CLI and the API.
 */

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
  /** May the executor approve their own run? @default false */
  allowSelfApproval?: boolean;
  /** How long to wait, e.g. '30m'. @default '1h' */
  timeout?: string;
  /** What the timeout means. @default 'reject' */
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
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface Identity {
  /** Slack user ID. */
  id: string;
  name?: string;
}

/** A decision attempt, from a click, a modal, the CLI or the API. */
export interface DecisionAttempt {
  verb: 'approve' | 'reject';
  user: Identity;
  reason?: string;
  inputs?: Record<string, string>;
  /** Where it came from. */
  via: 'slack' | 'cli' | 'api';
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
}

export interface RefusedAttempt {
  verb: 'approve' | 'reject';
  user: Identity;
  at: string;
  via: DecisionAttempt['via'];
  why: string;
}

export interface ApprovalState {
  workflowId: string;
  status: ApprovalStatus;
  request: ApprovalRequest;
  /** Eligible approvers per group (Slack user IDs), as resolved at start (and escalation). */
  approvers: Record<string, string[]>;
  requester?: string;
  approvals: number;
  needed: number;
  decisions: RecordedDecision[];
  refused: RefusedAttempt[];
  expiresAt: string;
  escalated: boolean;
  /** The Slack integration that posted the card (a name, never a token); undefined for a webhook card. */
  integration?: string;
  message?: { channel: string; ts: string; permalink?: string };
  /** Set when a final state was reached. */
  finishedAt?: string;
  outcomeNote?: string;
}

export type ApprovalResult = Pick<ApprovalState, 'workflowId' | 'status' | 'decisions' | 'refused' | 'finishedAt' | 'outcomeNote' | 'message'> & {
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
