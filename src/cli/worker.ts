/**
 * `signalroom worker`: only the worker, against the Temporal cluster from the
 * environment. Run several on one task queue to scale out. With a metrics
 * port it serves Prometheus metrics there: the Temporal SDK's own and
 * Signalroom's Slack calls.
 */
import { makeTelemetryFilterString, Runtime, type TelemetryOptions } from '@temporalio/worker';
import { connectWorkerConnection } from '../temporal/connection';
import { createWorker } from '../worker';
import { createRuntime } from '../runtime';
import { readEnv } from '../config/env';
import { RETRY_AFTER_BUCKETS, SLACK_RETRY_AFTER_METRIC, slackCallMetrics, type SlackCallObserver } from '../slack/call-metrics';
import { coreLogLevel, createLogger, temporalLogger } from '../logging';

export interface WorkerCommandOptions {
  /** Serve Prometheus metrics on this port. @default $SIGNALROOM_WORKER_METRICS_PORT, else none */
  metricsPort?: number;
  /** The address the metrics listen on. @default '127.0.0.1' (loopback: a usage count is nobody else's business) */
  metricsHost?: string;
}

export async function runWorker(options: WorkerCommandOptions = {}): Promise<void> {
  const metricsPort = options.metricsPort ?? readEnv().SIGNALROOM_WORKER_METRICS_PORT;
  // Before any connection or worker exists: the SDK's runtime is installed once per process.
  let observeSlackCalls: SlackCallObserver | undefined;
  if (metricsPort === undefined) installWorkerRuntime();
  else observeSlackCalls = serveWorkerMetrics(metricsPort, options.metricsHost);
  const runtime = await createRuntime({ observeSlackCalls });
  const { connection, namespace } = await connectWorkerConnection();
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue: runtime.env.SIGNALROOM_TASK_QUEUE,
    activityDeps: { integrations: runtime.integrations, callbacks: runtime.config.callbacks, github: runtime.config.github },
    tuning: runtime.config.worker,
  });
  // On SIGINT/SIGTERM the SDK stops polling, lets in-flight activities finish
  // within the grace time, and hands the rest back to Temporal.
  await worker.run();
  await connection.close();
  await runtime.close();
}

/**
 * Installs the SDK's runtime with its Prometheus exporter on `host`:`port`
 * (`/metrics`; loopback unless told, as Compose does inside its own
 * network), and returns what counts Slack calls on the same exporter
 * through the runtime's metric meter.
 */
export function serveWorkerMetrics(port: number, host = '127.0.0.1'): SlackCallObserver {
  const bindAddress = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  let runtime: Runtime;
  try {
    runtime = installWorkerRuntime({ prometheus: { bindAddress, histogramBucketOverrides: { [SLACK_RETRY_AFTER_METRIC]: RETRY_AFTER_BUCKETS } } });
  } catch (err) {
    throw new Error(`cannot serve worker metrics on ${bindAddress}: ${(err as Error).message}`);
  }
  return slackCallMetrics(runtime.metricMeter);
}

/**
 * The SDK's runtime with the process's logger (src/logging.ts): the SDK's
 * own lines, workflow and activity logs, and its native side's warnings
 * come out as the server's do, JSON lines on stdout at LOG_LEVEL.
 */
function installWorkerRuntime(metrics?: TelemetryOptions['metrics']): Runtime {
  return Runtime.install({
    logger: temporalLogger(createLogger()),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: coreLogLevel() }) },
      ...(metrics ? { metrics } : {}),
    },
  });
}
