/**
 * Creates the Signalroom worker: every workflow in workflows/ and every
 * activity built by createActivities, on one task queue.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities, type ActivityDeps } from '../activities';
import { startHoldBoard } from '../activities/holds';

export const DEFAULT_TASK_QUEUE = 'signalroom';

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** @default $SIGNALROOM_TASK_QUEUE or 'signalroom' */
  taskQueue?: string;
  /** Overrides parts of the activities' dependencies (tests inject clients). */
  activityDeps?: Partial<ActivityDeps>;
  /** A prebuilt bundle (tests bundle once per run); otherwise workflows/ is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (tuning). */
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows' | 'shutdownGraceTime'>;
}

export function workflowsPath(): string {
  return require.resolve('../workflows');
}

/**
 * V8's memory reducer runs a full, compacting collection once a process has
 * gone quiet for a while. In a worker, that quiet ends with the next click
 * or step, which then waits out the pause (26-50 ms on the workflow thread
 * and the main one: bench/README.md, Findings). Without it, the heap is
 * collected as it grows, as in a busy process; an idle worker keeps what it
 * last grew to. Set before the workflow threads start, whose heaps read it.
 */
function turnOffMemoryReducer(): void {
  v8.setFlagsFromString('--no-memory-reducer');
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  turnOffMemoryReducer();
  const identity = `signalroom-worker@${os.hostname()}:${process.pid}`;
  const taskQueue = options.taskQueue ?? process.env.SIGNALROOM_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  // The worker's own client reaches the hold board (activities/holds.ts) over the same connection.
  const temporal = { client: new Client({ connection: options.connection, namespace: options.namespace }), taskQueue };
  const deps: ActivityDeps = { workerIdentity: identity, temporal, ...options.activityDeps };
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    identity,
    activities: createActivities(deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    ...options.tuning,
  });
  // The board is there, and woken on this worker, before the first approval asks it; should this fail, the first approval's signal-with-start starts it.
  try {
    await startHoldBoard(temporal);
  } catch (err) {
    Runtime.instance().logger.warn('the hold board could not be started now: the first approval will start it', { taskQueue, error: String(err) });
  }
  return worker;
}
