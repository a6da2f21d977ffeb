/**
 * A worker in its own process, as in production (`signalroom worker` runs
 * apart from the server): either Signalroom's (the production bundle and
 * activities, Slack = the bench's sandbox) or the bare baseline's, on its own
 * task queue. Answers `status` and `measure` (after a full GC) over IPC, and
 * with `notifyNoop` tells the parent each time the no-op activity runs.
 *
 *   node --expose-gc bin/run-ts.js bench/worker-process.ts signalroom|bare CONFIG_JSON
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { ConfigSchema } from '../src/config/schema';
import { IntegrationRegistry } from '../src/slack/integrations';
import { createWorker } from '../src/worker';
import { createBaselineActivities } from './baseline-activities';

export interface WorkerProcessConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  /** @default the production default (config `worker.maxCachedWorkflows`) */
  maxCachedWorkflows?: number;
  /** Send `{ noop: key }` to the parent when the baseline's no-op activity runs. */
  notifyNoop?: boolean;
  slack?: { apiUrl: string; botToken: string; signingSecret: string };
  /** Configuration `approverGroups` (Signalroom's worker). */
  approverGroups?: Record<string, { users: string[] }>;
  /** More places a click's response_url may point (the bench's sink), beside the sandbox's. */
  responseUrlBases?: string[];
  /** `false`: Slack calls unpaced (src/slack/pacer.ts), each activity retrying on its own. @default true */
  slackPacing?: boolean;
}

export interface WorkerReport {
  rss: number;
  heapUsed: number;
  external: number;
  cached: number;
  inFlightActivations: number;
  inFlightActivities: number;
}

async function main() {
  const kind = process.argv[2];
  const config = JSON.parse(process.argv[3]) as WorkerProcessConfig;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  const defaults = ConfigSchema.parse({}).worker;
  const tuning = { ...defaults, maxCachedWorkflows: config.maxCachedWorkflows ?? defaults.maxCachedWorkflows };
  let worker: Worker;
  if (kind === 'signalroom') {
    const integrations = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: config.slack }, approverGroups: config.approverGroups ?? {} }), { timeoutMs: 5000, ...(config.slackPacing === false ? { pacer: false as const } : {}) });
    const extra = config.responseUrlBases ?? [];
    const own = integrations.responseUrlBases.bind(integrations);
    integrations.responseUrlBases = () => [...own(), ...extra];
    worker = await createWorker({ connection, namespace: config.namespace, taskQueue: config.taskQueue, workflowBundle: { codePath: config.bundlePath }, activityDeps: { integrations }, tuning });
  } else {
    worker = await Worker.create({ connection, namespace: config.namespace, taskQueue: config.taskQueue, workflowBundle: { codePath: config.bundlePath }, activities: createBaselineActivities(config.notifyNoop ? (key) => process.send?.({ noop: key }) : undefined), ...tuning });
  }
  const report = (): WorkerReport => {
    const status = worker.getStatus();
    const mem = process.memoryUsage();
    return {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      cached: status.numCachedWorkflows,
      inFlightActivations: status.numInFlightWorkflowActivations,
      inFlightActivities: status.numInFlightActivities,
    };
  };
  process.on('message', (m: { id: number; op: 'status' | 'measure' | 'stop' }) => {
    if (m.op === 'stop') {
      worker.shutdown();
      return;
    }
    if (m.op === 'measure') {
      const gc = (globalThis as { gc?: () => void }).gc;
      for (let i = 0; i < 3; i++) gc?.();
    }
    process.send?.({ id: m.id, report: report() });
  });
  process.on('disconnect', () => worker.shutdown());
  const running = worker.run();
  process.send?.({ ready: true });
  await running;
  await connection.close();
  process.exit(0);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
