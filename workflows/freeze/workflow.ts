/**
 * One freeze (README, "Freeze windows"): a workflow `freeze:<name>` that
 * holds deploys of its stages and services while a window is on. It reports
 * to the hold board (workflows/holds/board.ts) through the `reportHold`
 * activity when a window starts, and reports empty scopes when the window
 * ends (a timer) or someone ends the freeze (`freezeEnd`, an update that
 * answers once the hold is lifted). Its windows come from
 * core/holds/freeze.ts, in its own time zone.
 *
 * `SignalroomKind = 'freeze'` and `SignalroomStatus` (`scheduled`, `active`,
 * `ended`) find it in the Temporal UI; its current details say what it holds
 * and when. A recurring freeze continues as new as its history grows,
 * carrying its record.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import {
  MAX_PAST_WINDOWS,
  freezeDetails,
  freezeProblems,
  freezeScopes,
  freezeWorkflowId,
  plannedState,
  windowsFrom,
  type FreezeEndRequest,
  type FreezeInput,
  type FreezeState,
  type FreezeStatus,
  type FreezeWindow,
  type HeldWindow,
} from '../../core/holds/freeze';
import type { HoldScope } from '../../core/holds/types';
import { freezeEndUpdate, freezeStateQuery } from '../messages';
import { SA } from '../search-attributes';
import { USER_ID } from '../../core/slack/mrkdwn';

/** The board is reached through the worker's own Temporal client: retried without a limit, like Slack calls. */
const board = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
  summary: 'Telling the hold board what the freeze holds',
});

/** Past this many events a recurring freeze continues as new (a window costs about a dozen). */
const HISTORY_LIMIT = 2_000;

/** What a freeze carries into its next run. */
export interface FreezeCarry {
  /** The last report's seq: the board ignores a report not above what it has. */
  seq: number;
  past: HeldWindow[];
  windowsHeld: number;
}

export async function freeze(input: FreezeInput, carry?: FreezeCarry): Promise<FreezeState> {
  const problems = freezeProblems(input);
  if (problems.length) {
    throw ApplicationFailure.nonRetryable(`The freeze cannot run: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, 'InvalidFreeze');
  }
  const id = freezeWorkflowId(input.name);
  const state: FreezeState = { ...plannedState(input, Date.now()), past: carry?.past ?? [], windowsHeld: carry?.windowsHeld ?? 0 };
  let seq = carry?.seq ?? 0;
  let endRequest: FreezeEndRequest | undefined;
  let finished = false;

  setHandler(freezeStateQuery, () => state);
  setHandler(
    freezeEndUpdate,
    async (request) => {
      endRequest = request;
      await condition(() => finished);
      return state;
    },
    {
      validator: (request) => {
        if (endRequest || finished) throw new Error(`The freeze ${input.name} has already ended.`);
        if (!request || typeof request.by !== 'string' || !USER_ID.test(request.by)) throw new Error('Ending a freeze names the Slack user who ends it (U0123ABCD).');
      },
    },
  );

  const show = (status: FreezeStatus, current?: FreezeWindow, next?: FreezeWindow) => {
    state.status = status;
    state.current = current;
    state.next = next;
    if (!current) delete state.current;
    if (!next) delete state.next;
    upsertSearchAttributes([
      { key: SA.kind, value: 'freeze' },
      { key: SA.status, value: status },
    ]);
    setCurrentDetails(freezeDetails(state));
  };

  /** Tells the board what the freeze holds now; each report's seq is above the last (and above any earlier freeze of this name's: it is a time). */
  const report = async (scopes: HoldScope[], window?: FreezeWindow) => {
    seq = Math.max(seq + 1, Date.now());
    await board.reportHold({ source: 'freeze', id, seq, scopes, label: input.reason, reason: input.reason, ...(window ? { until: window.end } : {}) });
  };

  const ending = () => endRequest !== undefined;
  for (;;) {
    if (ending()) break;
    const now = Date.now();
    const [window, after] = windowsFrom(input, now, 2);
    if (!window) break;
    const start = Date.parse(window.start);
    if (start > now) {
      show('scheduled', undefined, window);
      await condition(ending, start - now);
      continue;
    }
    show('active', window, after);
    await report(freezeScopes(input), window);
    const endedEarly = await condition(ending, Math.max(1, Date.parse(window.end) - Date.now()));
    await report([]);
    state.past.push({ ...window, ...(endedEarly ? { liftedAt: new Date().toISOString() } : {}) });
    if (state.past.length > MAX_PAST_WINDOWS) state.past.splice(0, state.past.length - MAX_PAST_WINDOWS);
    state.windowsHeld++;
    if (endedEarly) break;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > HISTORY_LIMIT) {
      await condition(allHandlersFinished);
      if (ending()) continue;
      const next = makeContinueAsNewFunc<typeof freeze>({ memo: info.memo, typedSearchAttributes: info.typedSearchAttributes });
      return await next(input, { seq, past: state.past, windowsHeld: state.windowsHeld });
    }
  }

  const at = new Date().toISOString();
  state.ended = endRequest
    ? { at, how: 'ended', by: endRequest.by, ...(endRequest.reason ? { reason: endRequest.reason } : {}), ...(endRequest.caller ? { caller: endRequest.caller } : {}) }
    : { at, how: 'over' };
  show('ended');
  // Read without a worker by `freeze list`, beside what the freeze was created with.
  upsertMemo({ ended: state.ended });
  finished = true;
  await condition(allHandlersFinished);
  return state;
}
