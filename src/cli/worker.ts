/**
 * `signalroom worker`: only the worker, against the Temporal cluster from the
 * environment. Run several on one task queue to scale out.
 */
import { connectWorkerConnection } from '../temporal/connection';
import { createWorker } from '../worker';
import { createRuntime } from '../runtime';

export async function runWorker(): Promise<void> {
  const runtime = await createRuntime();
  const { connection, namespace } = await connectWorkerConnection();
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue: runtime.env.SIGNALROOM_TASK_QUEUE,
    activityDeps: { integrations: runtime.integrations },
    tuning: runtime.config.worker,
  });
  // On SIGINT/SIGTERM the SDK stops polling, lets in-flight activities finish
  // within the grace time, and hands the rest back to Temporal.
  await worker.run();
  await connection.close();
  await runtime.close();
}
