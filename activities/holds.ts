/**
 * The hold board's activities: reporting what a source holds, and asking
 * what holds an approval. They reach the board through the worker's Temporal
 * client with signal-with-start and update-with-start, so the board exists
 * once anyone needs it (workflows/holds/board.ts): a board that ended since
 * the worker started it is started again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { holdBoardId, holdBoard } from '../workflows/holds/board';
import { holdBoardWakeSignal, holdReportSignal, holdSubscribeSignal, holdUnsubscribeSignal } from '../workflows/messages';
import { incidentHoldScopes } from '../core/holds/match';
import type { HoldReport, HoldScope, HoldTarget } from '../core/holds/types';
import type { SlackContext } from './slack/context';
import { parseDuration } from '../core/runbook/duration';

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

/**
 * Starts the task queue's hold board, or wakes it when it runs already (then
 * what it knows stays). A worker calls this when it starts. A board that is
 * there before anyone asks answers the first approvals after a deploy at
 * once, where one started by their own signal-with-start waits for its first
 * workflow task behind all of theirs; and a running board's next task, with
 * the worker that ran its last one gone, would wait the same way unless this
 * wake has just run one (bench/README.md, Findings).
 */
export async function startHoldBoard(temporal: { client: Client; taskQueue: string }): Promise<void> {
  const { client, taskQueue } = temporal;
  await client.workflow.signalWithStart(holdBoard, { ...boardStart(taskQueue), signal: holdBoardWakeSignal, signalArgs: [] });
}

/** How every signal-with-start reaches the task queue's board (the unsubscribe alone never starts it). */
const boardStart = (taskQueue: string) => ({ workflowId: holdBoardId(taskQueue), taskQueue, args: [] as [] });

export function createHoldActivities(slack: SlackContext, deps: HoldDeps) {
  const board = () => {
    if (!deps.temporal) throw new Error('this worker has no Temporal client for the hold board');
    return deps.temporal;
  };
  return {
    /** Tells the hold board what a source holds now (empty scopes lift its holds). */
    async reportHold(report: HoldReport): Promise<void> {
      const { client, taskQueue } = board();
      await client.workflow.signalWithStart(holdBoard, { ...boardStart(taskQueue), signal: holdReportSignal, signalArgs: [report] });
    },

    /** Asks the hold board what holds an approval: it answers with a holdsChanged signal, and again at every change. */
    async subscribeHolds(target: HoldTarget): Promise<void> {
      const { client, taskQueue } = board();
      await client.workflow.signalWithStart(holdBoard, { ...boardStart(taskQueue), signal: holdSubscribeSignal, signalArgs: [target] });
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
