/**
 * The incident workflow's data. Pure types shared with the CLI and API.
 */
import type { Runbook } from '../runbook/types';
import type { HoldScope, IncidentHoldNote } from '../holds/types';

/** Deploy notes an incident keeps (its timeline keeps them too, within its own bound). */
export const MAX_DEPLOY_NOTES = 200;

/** Sets an incident role (the `incidentRole` update): the commander, for now. */
export interface RoleRequest {
  role: 'commander';
  /** A Slack user id. */
  user: string;
  by?: string;
  caller?: IncidentCaller;
}

/** Who made a write through the API or the CLI: the token's name, or the operator at the CLI (user@host). */
export interface IncidentCaller {
  token?: string;
  operator?: string;
}

export interface IncidentInput {
  runbook: Runbook;
  /** The runbook's inputs by name without the `incident.` prefix: { id, severity, service, description }. */
  incident: Record<string, string>;
  openedBy?: string;
  /** The token or operator that opened it (absent from Slack: the signature names the app, `openedBy` the person). */
  caller?: IncidentCaller;
  /** Continue as new past this many history events (default 8000); tests make it small to exercise the hand-over. */
  historyLimit?: number;
  /** Set when the workflow continued as new: everything it had. */
  carried?: IncidentCarry;
}

export interface TimelineEntry {
  at: string;
  kind: 'opened' | 'step' | 'step_skipped' | 'update' | 'severity' | 'reminder' | 'resolved' | 'action_item' | 'error' | 'role' | 'deploy';
  text: string;
  by?: string;
  /** API and CLI writes: the token or operator that made it. */
  caller?: IncidentCaller;
}

/** A severity change as requested (applied by the workflow in arrival order). */
export interface SeverityChangeRequest {
  severity: string;
  by?: string;
  caller?: IncidentCaller;
}

/** A request to resolve the incident. */
export interface ResolveRequest {
  summary?: string;
  resolvedBy?: string;
  caller?: IncidentCaller;
}

/** What a run had received but not yet applied when it continued as new. */
export interface IncidentPending {
  updates: IncidentUpdate[];
  severity: SeverityChangeRequest[];
  resolve?: ResolveRequest;
}

/** An action item: added by a runbook step, the CLI, the API or /signalroom, closed with its Done button or by id. */
export interface ActionItem {
  /** 1, 2, 3… within the incident. */
  id: number;
  text: string;
  /** A Slack user ID, @handle or email, as given. */
  owner?: string;
  /** The owner's Slack user ID (`U…`) or user-group ID (`S…`), when it was found: shown as a mention. */
  ownerId?: string;
  status: 'open' | 'done';
  addedBy?: string;
  addedAt: string;
  doneBy?: string;
  doneAt?: string;
  /** Where its message with the Done button is. */
  channel?: string;
  ts?: string;
}

/** A Request Approval step of the incident, as it ended. */
export interface IncidentApproval {
  /** The step's key (`steps/<Id>` or `steps/<n>`). */
  step: string;
  /** What was to be approved. */
  summary: string;
  /** The approval's own status: approved, rejected, expired, cancelled. */
  status: string;
  finishedAt?: string;
  decisions: Array<{
    verb: 'approve' | 'reject';
    /** Slack user ID, and the name Slack gave. */
    user: string;
    name?: string;
    at: string;
    /** The comment given with the decision. */
    reason?: string;
    via: 'slack' | 'cli' | 'api';
    /** API and CLI decisions: the token or operator that made it. */
    by?: string;
  }>;
}

/** Adds or closes an action item (the `incidentTask` update). */
export type TaskRequest = ({ action: 'add'; text: string; owner?: string; by?: string } | { action: 'done'; item: number; by?: string }) & { caller?: IncidentCaller };

export interface IncidentCarry {
  incident: Record<string, string>;
  steps: Record<string, Record<string, string | string[]>>;
  timeline: TimelineEntry[];
  openedAt: number;
  lastUpdateAt: number;
  /** When the last missed-update reminder went out: the next one is due an interval later. */
  lastReminderAt?: number;
  updates: number;
  reminders: number;
  severityChanges: Array<{ from: string; to: string; at: string; by?: string }>;
  threadTs?: string;
  threadChannel?: string;
  integration: string;
  /** The incident's action items, in the order they were added. */
  actionItems?: ActionItem[];
  /** Each Request Approval step's outcome with its decisions: who decided, when and why. */
  approvals?: IncidentApproval[];
  /**
   * Who the incident added itself, as Slack user ids: the people its runbook's
   * Create Channel and Add Users steps invited, and whoever opened it. With a
   * responder group, they may change it from Slack; joining its channel does
   * not make someone one of them. (Absent in incidents opened before it was kept.)
   */
  members?: string[];
  /**
   * Names of the people and user groups the incident names (by Slack id), as
   * Slack's directory gave them while it ran: the postmortem read outside
   * Slack shows these. (Absent in incidents opened before they were kept.)
   */
  people?: Record<string, string>;
  /** Only in what one run carries to the next: received, not yet applied. */
  pending?: IncidentPending;
  /** The incident's commander (a Slack user id): whoever opened it, unless set since (`incident role commander`). */
  commander?: string;
  /** Holds are on for this incident (README, "Deploys and incidents"); absent in incidents opened before them. */
  holdsOn?: boolean;
  /** What it holds now, as last reported to the hold board, and that report's number. */
  holding?: HoldScope[];
  holdSeq?: number;
  /** Deploys held, excepted, let through by break-glass or decided while it held them (the most recent MAX_DEPLOY_NOTES). */
  deploys?: IncidentHoldNote[];
}

export interface IncidentState extends IncidentCarry {
  workflowId: string;
  runbook: string;
  status: 'opening' | 'open' | 'resolving' | 'resolved';
  resolvedBy?: string;
  resolvedAt?: string;
}

export interface IncidentUpdate {
  text: string;
  author?: string;
  caller?: IncidentCaller;
}
