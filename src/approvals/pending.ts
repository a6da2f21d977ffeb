/**
 * The pending approvals a person may still decide — what
 * `/signalroom approvals` lists. Found through the search attributes, then
 * asked of each run under the same rule the workflow applies
 * (`mayStillDecide`), all within a time budget so a slash command still
 * answers inside Slack's 3 seconds.
 */
import type { Client } from '@temporalio/client';
import { approvalStateQuery } from '../../workflows/messages';
import { mayStillDecide } from '../../core/approval/policy';
import { USER_ID } from '../../core/slack/mrkdwn';
import type { ApprovalState } from '../../core/approval/types';

/** At most this many pending approvals are looked at: those listing the person, and those listing nobody. */
const MAX_PENDING_LOOKED_AT = 50;

export interface PendingApprovals {
  /** The approvals `userId` may still decide (an approver, not the requester unless allowed, not decided yet). */
  decidable: ApprovalState[];
  /** Workflow ids whose state could not be read within the budget. */
  unchecked: string[];
}

/** Pending approvals `userId` may still decide, looked up within `budgetMs`. */
export async function pendingApprovalsFor(temporal: Client, userId: string, budgetMs: number): Promise<PendingApprovals> {
  const deadline = Date.now() + budgetMs;
  const ids: string[] = [];
  // Only runs this person may decide (or that list nobody: begun before the list, or too many approvers to list),
  // so pending approvals of other people, however many, never hide theirs. The id is checked: it goes into a query.
  if (!USER_ID.test(userId)) return { decidable: [], unchecked: [] };
  const query = `SignalroomKind = 'approval' AND SignalroomStatus = 'pending' AND ExecutionStatus = 'Running' AND (SignalroomApprovers = '${userId}' OR SignalroomApprovers IS NULL)`;
  for await (const wf of temporal.workflow.list({ query, pageSize: MAX_PENDING_LOOKED_AT })) {
    ids.push(wf.workflowId);
    if (ids.length >= MAX_PENDING_LOOKED_AT) break;
  }
  const decidable: ApprovalState[] = [];
  const unchecked: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      try {
        const left = Math.max(100, deadline - Date.now());
        const state = await temporal.connection.withDeadline(Date.now() + left, () => temporal.workflow.getHandle(id).query(approvalStateQuery));
        if (mayStillDecide(state, userId)) decidable.push(state);
      } catch {
        unchecked.push(id);
      }
    }),
  );
  return { decidable, unchecked };
}
