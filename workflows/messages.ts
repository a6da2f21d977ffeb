/**
 * Signals, queries and updates, defined once and imported by workflows,
 * the server and the CLI (samples-typescript style).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalState, DecideOutcome, DecisionAttempt, Identity } from './approval/types';

/**
 * A decision from Slack (a button click or a modal submit), delivered by the
 * server without waiting for the worker. The workflow answers the clicker.
 */
export const approvalDecisionSignal = defineSignal<[SlackDecisionSignal]>('approvalDecision');

/** A decision from the CLI or API: judged by the same rules, answered synchronously. */
export const decideUpdate = defineUpdate<DecideOutcome, [DecisionAttempt]>('decide');

/** Cancels a pending approval; the message says who cancelled it. */
export const cancelApprovalUpdate = defineUpdate<DecideOutcome, [{ by?: Identity; reason?: string }]>('cancel');

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
}
