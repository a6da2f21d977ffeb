/**
 * Where the time between two steps goes, read from a workflow's history: the
 * gap between one activity's completion and the next one's start, split into
 *
 * - dispatch: activity completed → the workflow task started on the worker
 *   (history service, transfer queue, matching, the worker's sticky poll);
 * - workflow task: started → completed (the worker's own workflow code);
 * - activity start: workflow task completed → next activity started
 *   (eager hand-back, else matching and an activity poll).
 */
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { fmtMs, summarize } from './stats';

export interface StepGaps {
  gap: number[];
  dispatch: number[];
  workflowTask: number[];
  activityStart: number[];
}

export const noGaps = (): StepGaps => ({ gap: [], dispatch: [], workflowTask: [], activityStart: [] });

/** Adds the history's gaps to `into`. */
export function addStepGaps(history: temporal.api.history.v1.IHistory, into: StepGaps): StepGaps {
  let completed: number | undefined;
  let wftStarted: number | undefined;
  let wftCompleted: number | undefined;
  for (const e of history.events ?? []) {
    const at = tsToMs(e.eventTime as never);
    if (e.activityTaskCompletedEventAttributes) completed = at;
    else if (e.workflowTaskStartedEventAttributes) wftStarted = at;
    else if (e.workflowTaskCompletedEventAttributes) wftCompleted = at;
    else if (e.activityTaskStartedEventAttributes && completed !== undefined && wftStarted !== undefined && wftCompleted !== undefined) {
      into.dispatch.push(wftStarted - completed);
      into.workflowTask.push(wftCompleted - wftStarted);
      into.activityStart.push(at - wftCompleted);
      into.gap.push(at - completed);
      completed = undefined;
    }
  }
  return into;
}

/** `gap p50 …, p99 … = dispatch … + workflow task … + activity start …` */
export function describeStepGaps(g: StepGaps): string {
  const leg = (xs: number[]) => {
    const s = summarize(xs);
    return `p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}`;
  };
  return `gap ${leg(g.gap)} (n=${g.gap.length}) = dispatch ${leg(g.dispatch)} + workflow task ${leg(g.workflowTask)} + activity start ${leg(g.activityStart)}`;
}
