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

/**
 * Where a runbook's time goes when its Slack steps are local activities
 * (docs/ARCHITECTURE.md, "The path of a runbook step"), read from its
 * history: the run started → its first workflow task started on the worker
 * (dispatch); → the first local activity scheduled (the workflow starting);
 * then the time from one local activity's schedule to the next one's (the
 * Slack call, its way between the SDK's core and the worker's JavaScript,
 * and the workflow's code for the next step); and how many workflow tasks
 * the run took until its last local activity. The schedule times are the
 * worker's clock, the events the server's: one machine here.
 */
export interface LocalSteps {
  dispatch: number[];
  startUp: number[];
  perStep: number[];
  localActivities: number[];
  workflowTasks: number[];
}

export const noLocalSteps = (): LocalSteps => ({ dispatch: [], startUp: [], perStep: [], localActivities: [], workflowTasks: [] });

interface MarkerData {
  original_schedule_time?: { seconds?: number | string; nanos?: number } | null;
}

/** Adds one run's figures to `into`. */
export function addLocalSteps(history: temporal.api.history.v1.IHistory, into: LocalSteps): LocalSteps {
  let started: number | undefined;
  let firstTask: number | undefined;
  let tasks = 0;
  let tasksAtLast = 0;
  const scheduled: number[] = [];
  for (const e of history.events ?? []) {
    const at = tsToMs(e.eventTime as never);
    if (e.workflowExecutionStartedEventAttributes) started = at;
    else if (e.workflowTaskStartedEventAttributes) {
      firstTask ??= at;
      tasks++;
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      const payload = e.markerRecordedEventAttributes.details?.data?.payloads?.[0]?.data;
      if (!payload) continue;
      const data = JSON.parse(Buffer.from(payload).toString('utf8')) as MarkerData;
      const t = data.original_schedule_time;
      if (!t) continue;
      scheduled.push(Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6);
      tasksAtLast = tasks;
    }
  }
  if (started === undefined || firstTask === undefined || scheduled.length < 2) return into;
  scheduled.sort((a, b) => a - b);
  into.dispatch.push(firstTask - started);
  into.startUp.push(scheduled[0] - firstTask);
  into.perStep.push((scheduled[scheduled.length - 1] - scheduled[0]) / (scheduled.length - 1));
  into.localActivities.push(scheduled.length);
  into.workflowTasks.push(tasksAtLast);
  return into;
}

/** `dispatch p50 …, p99 … + start-up … + per local step … (n local activities in m workflow tasks)` */
export function describeLocalSteps(l: LocalSteps): string {
  const leg = (xs: number[]) => {
    const s = summarize(xs);
    return `p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}`;
  };
  const median = (xs: number[]) => summarize(xs).p50;
  return `dispatch ${leg(l.dispatch)} + workflow start-up ${leg(l.startUp)} + per local step ${leg(l.perStep)} (${median(l.localActivities)} local activities in ${median(l.workflowTasks)} workflow task(s), n=${l.perStep.length})`;
}
