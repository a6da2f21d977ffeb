/**
 * The hold board's activities: reporting what a source holds, and asking
 * what holds an approval. They reach the board through the worker's Temporal
 * client with signal-with-start and update-with-start, so the board exists
 * once anyone needs it (workflows/holds/board.ts).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { holdBoardId, holdBoard } from '../workflows/holds/board';
import { holdReportSignal, holdsOfQuery, holdSubscribeSignal, holdUnsubscribeSignal } from '../workflows/messages';
import { incidentHoldScopes } from '../core/holds/match';
import type { ApprovalHoldsView, HoldReport, HoldScope, HoldTarget } from '../core/holds/types';
import type { SlackContext } from './slack/context';
import { parseDuration } from '../core/runbook/duration';

/** How long a subscription may take to show on a busy board before its holds are read as they are. */
const SUBSCRIPTION_WAIT_MS = 10_000;

export interface HoldDeps {
  /** The worker's Temporal client and task queue, to reach the hold board. */
  temporal?: { client: Client; taskQueue: string };
}

/** What configuration says about holds, as the approval workflow needs it. */
export interface DeployPolicyView {
  whileHeld: 'pause' | 'run';
  exceptionGroups: string[];
  breakGlass?: { groups: string[]; reviewers: string[]; reviewChannel?: string; remindEveryMs: number };
}

export function createHoldActivities(slack: SlackContext, deps: HoldDeps) {
  const board = () => {
    if (!deps.temporal) throw new Error('this worker has no Temporal client for the hold board');
    return deps.temporal;
  };
  return {
    /** Tells the hold board what a source holds now (empty scopes lift its holds). */
    async reportHold(report: HoldReport): Promise<void> {
      const { client, taskQueue } = board();
      await client.workflow.signalWithStart(holdBoard, { workflowId: holdBoardId(taskQueue), taskQueue, args: [], signal: holdReportSignal, signalArgs: [report] });
    },

    /** Asks the hold board what holds an approval: it answers with a holdsChanged signal, and again at every change. */
    async subscribeHolds(target: HoldTarget): Promise<void> {
      const { client, taskQueue } = board();
      await client.workflow.signalWithStart(holdBoard, { workflowId: holdBoardId(taskQueue), taskQueue, args: [], signal: holdSubscribeSignal, signalArgs: [target] });
    },

    /**
     * Subscribes an approval quietly and reads what holds it now: the board
     * signals it only when that changes, so a burst of approvals with nothing
     * holding them costs the board one signal each, not two. Read once the
     * subscription has arrived, so no change can fall between the two; a
     * board too busy to show it within `waitMs` is read as it is
     * (`subscribed: false`), and its signals still follow.
     */
    async subscribeAndReadHolds(target: HoldTarget, waitMs = SUBSCRIPTION_WAIT_MS): Promise<ApprovalHoldsView> {
      const { client, taskQueue } = board();
      const id = holdBoardId(taskQueue);
      await client.workflow.signalWithStart(holdBoard, { workflowId: id, taskQueue, args: [], signal: holdSubscribeSignal, signalArgs: [{ ...target, quiet: true }] });
      const handle = client.workflow.getHandle(id);
      const giveUpAt = Date.now() + waitMs;
      for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
        const view = await handle.query(holdsOfQuery, target);
        if (view.subscribed || Date.now() + pause > giveUpAt) return view;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    },

    /** A decided approval is no longer told; a board that is gone has nothing to forget. */
    async unsubscribeHolds(input: { approvalId: string }): Promise<void> {
      try {
        const { client, taskQueue } = board();
        await client.workflow.getHandle(holdBoardId(taskQueue)).signal(holdUnsubscribeSignal, input);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    /** What an incident holds under configuration `deploys.holds`: nothing once resolved or below a held severity. */
    async incidentHoldScopes(incident: { severity?: string; service?: string; open: boolean }): Promise<HoldScope[]> {
      return incidentHoldScopes(slack.registry.deploysPolicy().holds, incident);
    },

    /** Configuration `deploys`, as an approval needs it: the timeout while held, who may grant exceptions and break glass. */
    async deployPolicy(): Promise<DeployPolicyView> {
      const d = slack.registry.deploysPolicy();
      return {
        whileHeld: d.whileHeld,
        exceptionGroups: [...d.exceptionGroups],
        ...(d.breakGlass ? { breakGlass: { groups: [...d.breakGlass.groups], reviewers: [...d.breakGlass.reviewers], reviewChannel: d.breakGlass.reviewChannel, remindEveryMs: parseDuration(d.breakGlass.remindEvery) } } : {}),
      };
    },
  };
}
