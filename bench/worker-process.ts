/**
 * Child process of the memory figure: one worker on its own task queue,
 * either Signalroom's (the production bundle and activities, Slack = the
 * bench's sandbox) or the bare baseline's. Answers `status` and `measure`
 * (after a full GC) over IPC, so the parent reads one worker's own memory.
 *
 *   node --expose-gc bin/run-ts.js bench/memory-worker.ts signalroom|bare CONFIG_JSON
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { ConfigSchema } from '../src/config/schema';
import { IntegrationRegistry } from '../src/slack/integrations';
import { createWorker } from '../src/worker';
import { createBaselineActivities } from './baseline-activities';

export interface MemoryWorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  maxCachedWorkflows: number;
  slack?: { apiUrl: string; botToken: string; signingSecret: string };
}

export interface MemoryReport {
  rss: number;
  heapUsed: number;
  external: number;
  cached: number;
  inFlightActivations: number;
  inFlightActivities: number;
}

async function main() {
  const kind = process.argv[2];
  const config = JSON.parse(process.argv[3]) as MemoryWorkerConfig;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: config.address });
  const tuning = { ...ConfigSchema.parse({}).worker, maxCachedWorkflows: config.maxCachedWorkflows };
  let worker: Worker;
  if (kind === 'signalroom') {
    const integrations = new IntegrationRegistry(ConfigSchema.parse({ slack: { organization: config.slack } }), { timeoutMs: 5000 });
    worker = await createWorker({ connection, namespace: config.namespace, taskQueue: config.taskQueue, workflowBundle: { codePath: config.bundlePath }, activityDeps: { integrations }, tuning });
  } else {
    worker = await Worker.create({ connection, namespace: config.namespace, taskQueue: config.taskQueue, workflowBundle: { codePath: config.bundlePath }, activities: createBaselineActivities(), ...tuning });
  }
  const report = (): MemoryReport => {
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
