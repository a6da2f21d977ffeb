/**
 * List-filter recipes: queries over Signalroom's search attributes that find
 * runs in the Temporal UI (paste into the Workflows list's filter, or open
 * `recipeUrl`) and with `temporal workflow list --query`. The README shows
 * these exact strings and test/integration/ops/recipes.test.ts runs each one against
 * runs that should and should not match.
 *
 * "Open" and "pending" recipes also say `ExecutionStatus = 'Running'`: a run
 * that was terminated or failed keeps the SignalroomStatus it had, so without
 * it a terminated approval would stay "pending" in the list forever.
 */

export interface ListRecipe {
  /** What the list shows, as a heading. */
  title: string;
  /** The visibility query, with example values (pipeline `api`, user `U0CAROL`, …) to replace. */
  query: string;
}

export const LIST_RECIPES = {
  pendingApprovalsOfPipeline: {
    title: 'Pending approvals of a pipeline',
    query: "SignalroomKind = 'approval' AND SignalroomStatus = 'pending' AND SignalroomPipeline = 'api' AND ExecutionStatus = 'Running'",
  },
  openSev1Incidents: {
    title: 'Open SEV1 incidents',
    query: "SignalroomKind = 'incident' AND SignalroomStatus = 'open' AND SignalroomSeverity = 'SEV1' AND ExecutionStatus = 'Running'",
  },
  approvalsDecidedBy: {
    title: 'Approvals a person decided (approved or rejected)',
    query: "SignalroomKind = 'approval' AND SignalroomDecidedBy = 'U0CAROL'",
  },
  approvalsRequestedBy: {
    title: 'Approvals a person asked for',
    query: "SignalroomKind = 'approval' AND SignalroomRequestedBy = 'U0DAVE'",
  },
  rejectedProductionApprovals: {
    title: 'Rejected approvals of the production stage',
    query: "SignalroomKind = 'approval' AND SignalroomStatus = 'rejected' AND SignalroomStage = 'production'",
  },
  expiredApprovals: {
    title: 'Approvals nobody decided in time',
    query: "SignalroomKind = 'approval' AND SignalroomStatus = 'expired'",
  },
  openIncidentsOfService: {
    title: 'Open incidents of a service',
    query: "SignalroomKind = 'incident' AND SignalroomStatus = 'open' AND SignalroomService = 'checkout' AND ExecutionStatus = 'Running'",
  },
  runsThatEndedBadly: {
    title: 'Runs that failed, were terminated or timed out',
    query: "SignalroomKind IN ('approval', 'incident') AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')",
  },
} as const satisfies Record<string, ListRecipe>;

export type ListRecipeName = keyof typeof LIST_RECIPES;

/** The Temporal UI's Workflows list filtered by `query` (the UI reads `?query=`). */
export function recipeUrl(uiBaseUrl: string, namespace: string, query: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** `query` narrowed further, e.g. to one task queue: `(query) AND TaskQueue = 'q'`. */
export function narrowQuery(query: string, extra: string): string {
  return `(${query}) AND ${extra}`;
}
