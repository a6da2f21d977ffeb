/**
 * Signals, queries and updates, defined once and imported by workflows,
 * the server and the CLI (samples-typescript style).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalState, DecidedBy, DecideOutcome, DecisionAttempt, Identity } from './approval/types';
import type { ActionItem, IncidentState, IncidentUpdate, TaskRequest } from './incident/types';
import type { SlackClickSignal } from './click';

/**
 * A decision from Slack (a button click or a modal submit), delivered by the
 * server without waiting for the worker. The workflow answers the clicker.
 */
export const approvalDecisionSignal = defineSignal<[SlackDecisionSignal]>('approvalDecision');

/** A decision from the CLI or API: judged by the same rules, answered synchronously. */
export const decideUpdate = defineUpdate<DecideOutcome, [DecisionAttempt]>('decide');

/** Cancels a pending approval; the message says who cancelled it. */
export const cancelApprovalUpdate = defineUpdate<DecideOutcome, [{ by?: Identity; reason?: string; caller?: DecidedBy }]>('cancel');

export const approvalStateQuery = defineQuery<ApprovalState>('approvalState');

/** What the server's click route sends (see src/server). */
export interface SlackDecisionSignal {
  /** `approve` / `reject`, from the action id `signalroom:approval:<verb>` or the modal. */
  verb: string;
  user: { id: string; name?: string; teamId?: string };
  channelId?: string;
  messageTs?: string;
  responseUrl?: string;
  /** Modal values flattened by block id (reason, approver inputs). */
  values?: Record<string, string>;
  /**
   * Modal submissions: the modal's private_metadata, which carries the
   * channel and response_url of the click that opened it (a view_submission
   * has neither), so the submitter is answered and a webhook card updated.
   */
  metadata?: Record<string, unknown>;
}

/** An incident status update: posted into the update thread, re-arms the reminder timer. */
export const incidentUpdateSignal = defineSignal<[IncidentUpdate]>('incidentUpdate');
/** A severity change (SEV1…): announced, re-arms the reminder timer with the new cadence. */
export const incidentSeveritySignal = defineSignal<[{ severity: string; by?: string }]>('incidentSeverity');
/** Resolves the incident: runs the runbook's post-incident steps. */
export const incidentResolveSignal = defineSignal<[{ summary?: string; resolvedBy?: string }]>('incidentResolve');
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
/** Adds or closes an action item; answers with the item (the CLI prints its number). */
export const incidentTaskUpdate = defineUpdate<ActionItem, [TaskRequest]>('incidentTask');
/** An action item's Done button (`signalroom:task:done`), from the server's click route; the workflow checks the clicker is in the incident channel. */
export const incidentTaskClickSignal = defineSignal<[SlackClickSignal]>('incidentTaskClick');
