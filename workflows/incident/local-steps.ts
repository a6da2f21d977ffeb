/**
 * Runbook Slack steps as local activities (docs/ARCHITECTURE.md, "The path of
 * a runbook step"): the calls safe to repeat run in the worker that runs the
 * workflow, so consecutive steps complete in one workflow task, and the run
 * knows when one of its posts may already have been made by a workflow task
 * that was lost, so that only then a post looks for itself first.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { PostMessageInput, PostMessagesResult } from '../../activities/slack/messages';
import { LOCAL_POSTS_OPTIONS, LOCAL_SLACK_OPTIONS, SLACK_OPTIONS } from '../activity-options';

/**
 * The Slack calls of runbook steps that may run as local activities. Each
 * finds or repeats its own earlier effect harmlessly: a channel is adopted by
 * who created it and when, invites skip members, topics, pins, message
 * updates and archiving repeat as no-ops, and a post told it may have run
 * (`mayHaveRun`) looks for itself. Uploads, canvases, scheduled messages,
 * bookmarks, approvals and waits stay regular activities or workflow
 * primitives: they may wait long, or cannot find their own earlier effect.
 */
export const LOCAL_SAFE: ReadonlySet<keyof Activities> = new Set<keyof Activities>([
  'postMessage',
  'createChannel',
  'inviteUsers',
  'setChannelTopic',
  'pinMessage',
  'updateMessage',
  'archiveChannel',
]);

/**
 * The history length at which a run's first workflow task starts when
 * nothing came before it: the run started, its first task scheduled and
 * started. A first task that was tried before (it failed or timed out) starts
 * further on, as does one after a signal that came before it.
 */
const FIRST_TASK_STARTED = 3;

/**
 * Whether a local activity this run is about to make may already have run in
 * a workflow task that was lost.
 *
 * A local activity's result is recorded with the workflow task that ran it.
 * When that task never completes (the worker was killed, its completion was
 * refused), the effect may be in Slack and not in the history, and the task
 * runs again from the last completed one — in a workflow rebuilt from
 * history, since the SDK evicts a run whose task it could not complete. A
 * local activity run again that way starts again at attempt 1, so its
 * attempt cannot say so; the run can:
 *
 * - A run that began live on its first workflow task's first attempt, and has
 *   run live since, has lost no task: nothing before it can have run.
 * - A run rebuilt from history (it began by replaying), or whose first task
 *   was tried before (longer history at its start), may be re-running a lost
 *   task: its posts look first, until it has completed, live, a task in which
 *   it went idle (`idle`). A lost task ran no further than that point: it
 *   began from the same history with no more events, and everything past an
 *   idle point needs a new workflow task.
 */
export class LostTaskWatch {
  private suspect: boolean;
  /** The earliest a lost task can have run: the last moment replayed, else the run's start. */
  private since: number;

  constructor() {
    const info = workflowInfo();
    this.suspect = info.unsafe.isReplaying || info.historyLength > FIRST_TASK_STARTED;
    this.since = info.runStartTime.getTime();
  }

  /** May a local activity made now have run before, its result lost? */
  get mayHaveRun(): boolean {
    return this.suspect;
  }

  /** Epoch ms from which a lost task's effects are to be looked for. */
  get lostSince(): number {
    return this.since;
  }

  /** Where the workflow passes while it replays: a lost task came after this moment. */
  passing(): void {
    if (workflowInfo().unsafe.isReplaying) this.since = Math.max(this.since, Date.now());
  }

  /**
   * Waits as the main routine goes idle (nothing queued for it). When it goes
   * idle live and wakes in a later workflow task, the task it went idle in
   * completed: nothing after this point can repeat a lost task's effect.
   * Only the main routine runs runbook steps, so its idle point is the run's.
   */
  async idle<T>(wait: () => Promise<T>): Promise<T> {
    this.passing();
    const live = !workflowInfo().unsafe.isReplaying;
    const at = workflowInfo().historyLength;
    const result = await wait();
    if (live && workflowInfo().historyLength > at) this.suspect = false;
    return result;
  }
}

/**
 * A step's Slack activities: the safe ones locally first, and, when the
 * local activity runs out of its time (LOCAL_SLACK_OPTIONS: a long
 * Retry-After, Slack slow), the same call as a regular activity, which looks
 * for the post the local attempts may have made. A refusal (non-retryable) is
 * final either way. `mayHaveRun`: this step's post may have been made already
 * (posts made together that stopped at it), so it looks first.
 */
export function stepSlack(summary: string, watch: LostTaskWatch, options: { mayHaveRun?: boolean } = {}): Activities {
  const regular = proxyActivities<Activities>({ ...SLACK_OPTIONS, summary });
  const local = proxyLocalActivities<Activities>({ ...LOCAL_SLACK_OPTIONS, summary });
  return new Proxy(regular, {
    get(target, name) {
      if (typeof name !== 'string' || !LOCAL_SAFE.has(name as keyof Activities)) return target[name as keyof Activities];
      const key = name as keyof Activities;
      return async (input: Record<string, unknown>) => {
        const startedAt = Date.now();
        const mayHaveRun = watch.mayHaveRun || options.mayHaveRun === true;
        const posting = key === 'postMessage';
        const lookFirst = (since: number): Partial<PostMessageInput> => (posting ? { mayHaveRun: true, lookBackFrom: since } : {});
        try {
          return await (local[key] as (i: unknown) => Promise<unknown>)(mayHaveRun ? { ...input, ...lookFirst(watch.lostSince) } : input);
        } catch (err) {
          if (isCancellation(err) || !(err instanceof ActivityFailure) || (err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) throw err;
          // The local attempts may have posted: the regular one looks before it posts.
          return await (target[key] as (i: unknown) => Promise<unknown>)({ ...input, ...lookFirst(mayHaveRun ? watch.lostSince : startedAt) });
        }
      };
    },
  });
}

/**
 * The posts of consecutive steps (core/runbook/steps/post-together.ts), made
 * in order by one local activity. Undefined when that activity failed as a
 * whole (out of its time): any of the posts may have been made.
 */
export async function postTogether(summary: string, watch: LostTaskWatch, posts: PostMessageInput[]): Promise<PostMessagesResult | undefined> {
  const local = proxyLocalActivities<Activities>({ ...LOCAL_POSTS_OPTIONS, summary });
  const lookFirst = watch.mayHaveRun ? { mayHaveRun: true, lookBackFrom: watch.lostSince } : {};
  try {
    return await local.postMessages({ posts: posts.map((p) => ({ ...p, ...lookFirst })) });
  } catch (err) {
    if (isCancellation(err)) throw err;
    return undefined;
  }
}
