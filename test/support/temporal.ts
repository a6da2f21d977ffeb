/**
 * Per-test helpers on the run's shared dev server: a client, and a worker on
 * a unique task queue built from the run's single workflow bundle.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { createWorker, type CreateWorkerOptions } from '../../src/worker';
import { registerSearchAttributes } from '../../src/temporal/setup';
import { msToTs } from '@temporalio/common/lib/time';

let runtimeInstalled = false;
const sdkLogs: string[] = [];

/** Every SDK and workflow log line of this test process (bounded), for the secrets scan. */
export function capturedSdkLogs(): readonly string[] {
  return sdkLogs;
}

/**
 * SDK logs: everything from INFO is kept in memory for the secrets scan,
 * only errors are printed (fault tests warn by design). Call before creating a worker by hand.
 */
export function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const printed = new Set(['ERROR']);
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const line = `${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`;
      sdkLogs.push(line);
      if (sdkLogs.length > 20_000) sdkLogs.splice(0, 5_000);
      if (printed.has(entry.level)) console.warn(line);
    }),
  });
}

export function testTemporalAddress(): string {
  const address = process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('The test dev server is not running (jest globalSetup did not run)');
  return address;
}

export const testNamespace = () => process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default';

export async function testClient(namespace = testNamespace()): Promise<Client> {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  return new Client({ connection, namespace });
}

/**
 * A namespace of its own on the shared dev server, with Signalroom's search
 * attributes: for a test file whose runs share a workflow id across the run
 * (the hold board, `signalroom:holds`), so no other file's worker owns it.
 */
export async function isolatedNamespace(prefix = 'test'): Promise<string> {
  const namespace = `${prefix}-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address: testTemporalAddress() });
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    for (let tries = 0; ; tries++) {
      try {
        await registerSearchAttributes(connection, namespace);
        break;
      } catch (err) {
        // A namespace just registered may take a moment to be known to every service.
        if (tries >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await connection.close();
  }
  return namespace;
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

export interface TestWorker {
  worker: Worker;
  taskQueue: string;
  /** Runs `fn` while the worker polls, then shuts it down. */
  runUntil<R>(fn: () => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export async function testWorker(options: Partial<Omit<CreateWorkerOptions, 'connection' | 'namespace'>> = {}, namespace = testNamespace()): Promise<TestWorker> {
  quietRuntime();
  const connection = await NativeConnection.connect({ address: testTemporalAddress() });
  const taskQueue = options.taskQueue ?? uniqueTaskQueue();
  const worker = await createWorker({
    ...options,
    connection,
    namespace,
    taskQueue,
    workflowBundle: options.workflowBundle ?? { codePath: process.env.SIGNALROOM_TEST_WORKFLOW_BUNDLE! },
  });
  return {
    worker,
    taskQueue,
    runUntil: (fn) => worker.runUntil(fn),
    close: async () => {
      await connection.close();
    },
  };
}

/** A client and a worker already polling: what most test files start in `beforeAll`. */
export interface RunningWorker {
  client: Client;
  worker: TestWorker;
  taskQueue: string;
  /** Shuts the worker down, waits for it, and closes both connections. */
  stop(): Promise<void>;
}

export async function runningWorker(options: Partial<Omit<CreateWorkerOptions, 'connection' | 'namespace'>> = {}, namespace = testNamespace()): Promise<RunningWorker> {
  const client = await testClient(namespace);
  const worker = await testWorker(options, namespace);
  const running = worker.worker.run();
  return {
    client,
    worker,
    taskQueue: worker.taskQueue,
    async stop() {
      worker.worker.shutdown();
      await running;
      await worker.close();
      await client.connection.close();
    },
  };
}
