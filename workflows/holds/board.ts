/**
 * The hold board: one long-running workflow (holdBoardId) that knows what
 * every open incident and every freeze holds, and tells each pending
 * approval the holds that apply to it whenever they change.
 *
 * Sources report (holdReportSignal) and approvals subscribe
 * (holdSubscribeSignal), both by signal-with-start, so the board exists once
 * anyone needs it; a worker also starts it, or wakes it, when it starts
 * (src/worker.ts), so it is there, on a worker that is up, before the first
 * approval asks. A new subscriber is answered at the next pass, with
 * whatever holds it (even nothing), and told again at every change, so a
 * request started while an incident opens is either answered with the hold
 * or told of it later: never neither. Telling is a signal per approval; an
 * approval that is gone is forgotten. The board continues as new, carrying its state, as its history grows.
 */
import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, upsertSearchAttributes, workflowInfo, log, allHandlersFinished } from '@temporalio/workflow';
import { holdBoardQuery, holdBoardWakeSignal, holdReportSignal, holdsChangedSignal, holdSubscribeSignal, holdUnsubscribeSignal } from '../messages';
import { holdsFor, holdsKey } from '../../core/holds/match';
import type { HoldReport, HoldTarget } from '../../core/holds/types';
import { SA } from '../search-attributes';

/**
 * The board's workflow id: one per task queue, so one per deployment of
 * workers (a deployment's approvals, incidents and freezes share its queue),
 * and the board runs where that deployment's workers poll.
 */
export function holdBoardId(taskQueue: string): string {
  return `signalroom:holds:${taskQueue}`;
}

/** Pending approvals the board tells at most: past it, a new subscriber is answered but not told of changes (and logged). */
export const MAX_SUBSCRIBERS = 20_000;
/** Sources (open incidents and freezes with holds) kept at most; past it the oldest report is dropped, and logged. */
export const MAX_SOURCES = 1_000;

interface Subscriber extends HoldTarget {
  /** holdsKey of what it was last told (UNTOLD: nothing yet). */
  told: string;
}

/** No holdsKey is this: a new subscriber is always answered. */
const UNTOLD = '';

export interface HoldBoardCarry {
  reports: HoldReport[];
  subscribers: Subscriber[];
  /** The highest seq seen per source, lifted ones included: a late report never brings a hold back. */
  seen: Record<string, number>;
}

export async function holdBoard(carry?: HoldBoardCarry): Promise<void> {
  const reports = new Map<string, HoldReport>((carry?.reports ?? []).map((r) => [r.id, r]));
  const subscribers = new Map<string, Subscriber>((carry?.subscribers ?? []).map((s) => [s.approvalId, s]));
  const seen = new Map<string, number>(Object.entries(carry?.seen ?? {}));
  const answerOnce: HoldTarget[] = [];
  let changed = reports.size > 0 || subscribers.size > 0;
  /**
   * Whether a source's holds changed since the last pass: then every
   * subscriber is looked at, else only the new ones (the others were told
   * what holds them at the last pass, and it has not changed). A pass per
   * burst of subscriptions that worked out every subscriber's holds made
   * 10,000 approvals cost the board 10,000² of them (bench/README.md, Findings).
   */
  let reportsChanged = changed;
  const newcomers: Subscriber[] = [];

  if (!carry) upsertSearchAttributes([{ key: SA.kind, value: 'hold-board' }]);

  setHandler(holdReportSignal, (report) => {
    if ((seen.get(report.id) ?? -1) >= report.seq) return;
    seen.set(report.id, report.seq);
    if (report.scopes.length) {
      reports.delete(report.id);
      reports.set(report.id, report);
      if (reports.size > MAX_SOURCES) {
        const oldest = reports.keys().next().value as string;
        log.warn('hold board full: dropped the oldest source', { dropped: oldest });
        reports.delete(oldest);
      }
    } else {
      reports.delete(report.id);
      // A lifted source's seq is kept only while it could still arrive late; bounded like the sources.
      if (seen.size > MAX_SOURCES * 4) seen.delete(seen.keys().next().value as string);
    }
    changed = true;
    reportsChanged = true;
  });

  setHandler(holdSubscribeSignal, (target) => {
    if (!subscribers.has(target.approvalId) && subscribers.size >= MAX_SUBSCRIBERS) {
      // Past the bound it is still answered once, and not told of later changes.
      log.warn('hold board full: an approval is not told of later changes', { approvalId: target.approvalId });
      answerOnce.push(target);
    } else {
      // Told what holds it at the next pass, even nothing: it waits for that answer before its card.
      const subscriber = { approvalId: target.approvalId, stage: target.stage, service: target.service, told: UNTOLD };
      subscribers.set(target.approvalId, subscriber);
      newcomers.push(subscriber);
    }
    changed = true;
  });

  setHandler(holdUnsubscribeSignal, ({ approvalId }) => {
    subscribers.delete(approvalId);
  });

  // Nothing to do: the wake's workflow task is the point (holdBoardWakeSignal).
  setHandler(holdBoardWakeSignal, () => undefined);

  setHandler(holdBoardQuery, () => ({ reports: [...reports.values()], subscribers: subscribers.size }));

  for (;;) {
    await condition(() => changed || workflowInfo().continueAsNewSuggested);
    if (changed) {
      changed = false;
      // In the board's order either way, so the signals go out in the order they always did.
      const fresh = new Set(newcomers);
      const looked = [...subscribers.values()].filter((sub) => reportsChanged || fresh.has(sub));
      reportsChanged = false;
      newcomers.length = 0;
      await tellSubscribers(reports, looked, subscribers, answerOnce.splice(0));
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (changed) continue;
      await continueAsNew<typeof holdBoard>({ reports: [...reports.values()], subscribers: [...subscribers.values()], seen: Object.fromEntries(seen) });
    }
  }
}

/** Signals every approval looked at whose holds changed; forgets one that is gone. */
async function tellSubscribers(reports: Map<string, HoldReport>, looked: Subscriber[], subscribers: Map<string, Subscriber>, once: HoldTarget[]): Promise<void> {
  const due: Array<[HoldTarget, ReturnType<typeof holdsFor>]> = once.map((t) => [t, holdsFor(reports.values(), t)]);
  for (const sub of looked) {
    const holds = holdsFor(reports.values(), sub);
    const key = holdsKey(holds);
    if (key === sub.told) continue;
    sub.told = key;
    due.push([sub, holds]);
  }
  await Promise.all(
    due.map(async ([sub, holds]) => {
      try {
        await getExternalWorkflowHandle(sub.approvalId).signal(holdsChangedSignal, holds);
      } catch (err) {
        // The approval ended (or was terminated) without unsubscribing.
        log.info('forgot an approval that is gone', { approvalId: sub.approvalId, error: String(err) });
        subscribers.delete(sub.approvalId);
      }
    }),
  );
}
