/**
 * Signals, queries and updates, defined once and imported by workflows,
 * the server and the CLI (samples-typescript style).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalState, DecidedBy, DecideOutcome, DecisionAttempt, HoldOverrideAttempt, Identity } from '../core/approval/types';
import type { ActionItem, IncidentState, IncidentUpdate, ResolveRequest, RoleRequest, SeverityChangeRequest, TaskRequest } from '../core/incident/types';
import type { SlackClickSignal } from '../core/click';
import type { Hold, HoldReport, HoldTarget, IncidentHoldNote } from '../core/holds/types';
import type { ReviewState, SignOffAttempt, SignOffOutcome } from '../core/holds/review';
import type { FreezeEndRequest, FreezeState } from '../core/holds/freeze';

/** What the hold board answers to holdBoardQuery. */
export interface HoldBoardView {
  reports: HoldReport[];
  /** Pending approvals the board tells of changes. */
  subscribers: number;
}

/**
 * A decision from Slack (a button click or a modal submit), delivered by the
 * server without waiting for the worker. The workflow answers the clicker.
 */
export const approvalDecisionSignal = defineSignal<[SlackClickSignal]>('approvalDecision');

/** A decision from the CLI or API: judged by the same rules, answered synchronously. */
export const decideUpdate = defineUpdate<DecideOutcome, [DecisionAttempt]>('decide');

/** Cancels a pending approval; the message says who cancelled it. */
export const cancelApprovalUpdate = defineUpdate<DecideOutcome, [{ by?: Identity; reason?: string; caller?: DecidedBy }]>('cancel');

export const approvalStateQuery = defineQuery<ApprovalState>('approvalState');

/** An exception to a hold, or a break-glass, from the CLI or API: judged by the same rules as the card's buttons. */
export const holdOverrideUpdate = defineUpdate<DecideOutcome, [HoldOverrideAttempt]>('holdOverride');

/**
 * Answers once the request has passed the workflow's start checks (approver
 * groups, requester, policy) and its card is posted: a CLI without the
 * configuration waits for it, so a request the worker refuses is refused
 * before the CLI returns. A run that fails its checks never answers it; it ends.
 */
export const approvalPostedUpdate = defineUpdate<ApprovalState>('approvalPosted');

/** An incident status update: posted into the update thread, re-arms the reminder timer. */
export const incidentUpdateSignal = defineSignal<[IncidentUpdate]>('incidentUpdate');
/** A severity change (SEV1…): announced, re-arms the reminder timer with the new cadence. */
export const incidentSeveritySignal = defineSignal<[SeverityChangeRequest]>('incidentSeverity');
/** Resolves the incident: runs the runbook's post-incident steps. */
export const incidentResolveSignal = defineSignal<[ResolveRequest]>('incidentResolve');
export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
/** Adds or closes an action item; answers with the item (the CLI prints its number). */
export const incidentTaskUpdate = defineUpdate<ActionItem, [TaskRequest]>('incidentTask');
/** An action item's Done button (`signalroom:task:done`), from the server's click route; the workflow checks the clicker may change the incident. */
export const incidentTaskClickSignal = defineSignal<[SlackClickSignal]>('incidentTaskClick');

// ---- holds (core/holds/types.ts; README, "Deploys and incidents") ----

/** A source (an incident, a freeze) reports what it holds now, to the hold board. */
export const holdReportSignal = defineSignal<[HoldReport]>('holdReport');
/**
 * An approval asks the hold board what holds it: the board answers with
 * holdsChangedSignal at once, and again at every change. A signal, not an
 * update: Temporal bounds a workflow's updates in flight (10) and per run
 * (2,000), and a burst of approvals must not meet either.
 */
export const holdSubscribeSignal = defineSignal<[HoldTarget]>('holdSubscribe');
/**
 * A worker that starts wakes the board (or starts it): the board does nothing
 * with it, but its workflow task runs now, on a worker that is up, so its
 * next one does not wait behind a burst of new approvals' (src/worker.ts).
 */
export const holdBoardWakeSignal = defineSignal('holdBoardWake');
/** A decided approval is no longer told. */
export const holdUnsubscribeSignal = defineSignal<[{ approvalId: string }]>('holdUnsubscribe');
/** What the board holds now: every source's report, and how many approvals it tells. */
export const holdBoardQuery = defineQuery<HoldBoardView>('holdBoard');
/** The hold board tells an approval the holds that apply to it now (empty: none). */
export const holdsChangedSignal = defineSignal<[Hold[]]>('holdsChanged');

/** Sets an incident role (the commander): answers with who holds it now. */
export const incidentRoleUpdate = defineUpdate<{ role: 'commander'; user: string }, [RoleRequest]>('incidentRole');

/** An approval tells an incident that holds it what happened to it: the incident's timeline and postmortem keep it. */
export const incidentHoldNoteSignal = defineSignal<[IncidentHoldNote]>('incidentHoldNote');

// ---- break-glass reviews (core/holds/review.ts; README, "Break-glass") ----

/** The review message's Sign off button (`signalroom:review:sign-off`), from the server's click route; the workflow checks the click against its message. */
export const reviewSignOffClickSignal = defineSignal<[SlackClickSignal]>('reviewSignOffClick');
/** A sign-off from the CLI or API: judged by the same rules as the button, answered synchronously. */
export const reviewSignOffUpdate = defineUpdate<SignOffOutcome, [SignOffAttempt]>('reviewSignOff');
export const reviewStateQuery = defineQuery<ReviewState>('reviewState');
// ---- freezes (core/holds/freeze.ts; README, "Freeze windows") ----

/** A freeze's state: its schedule, the window holding now and the next, who created and ended it. */
export const freezeStateQuery = defineQuery<FreezeState>('freezeState');
/** Ends a freeze: answers once its hold is lifted on the board, with the state; refused when it already ended. */
export const freezeEndUpdate = defineUpdate<FreezeState, [FreezeEndRequest]>('freezeEnd');
