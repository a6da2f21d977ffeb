/**
 * What sets the per-step floor: `npm run bench:floor` (`-- --rounds=4
 * --samples=5`, `--no-write`, `--note="..."`). A bare workflow of 10 no-op
 * activities — the least a 10-step runbook can cost — on dev servers that
 * differ in one setting each, in alternating rounds so background load lands
 * on all alike. From each run's history, the gap between one activity's
 * completion and the next one's start is split into its legs (step-gaps.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { obtainTemporalCli } from '../src/temporal/cli-binary';
import { startDevServer, type RunningDevServer } from '../src/temporal/dev-server';
import { killAllChildren, startChild, type Child } from './children';
import { appendResults, APPROVER_GROUPS, arg, DEPLOYS, log, PROD_QUEUE } from './common';
import { requestApproval } from '../src/approvals/client';
import { startSandbox } from '../src/sandbox';
import { workflowsPath } from '../src/worker';
import { nowMs } from './http-load';
import { fmtMs, fmtRatio, summarize, textTable, type Row } from './stats';
import { addStepGaps, describeStepGaps, noGaps, type StepGaps } from './step-gaps';
import type { WorkerProcessConfig } from './worker-process';

const QUEUE = 'bench-floor';
const ROUNDS = Number(arg('rounds') ?? 4);
const SAMPLES = Number(arg('samples') ?? 5);

interface Variant {
  name: string;
  /** What differs from the row above it. */
  what: string;
  server: { withoutDynamicConfig?: boolean; dynamicConfig?: Record<string, unknown>; dbFile?: boolean; sqlitePragmas?: Record<string, string> };
  worker?: Partial<WorkerProcessConfig>;
  /** Signalroom's worker polls the same Temporal (its own task queue), as in the other benches. */
  besideSignalroom?: boolean;
  /** Pending approvals (waiting for clicks) on that worker while the steps run. */
  pendingApprovals?: number;
  /** Signalroom's HTTP server (bench/endpoint-server.ts) connected to the same Temporal. */
  besideServer?: boolean;
}

const ONE_PARTITION = { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 };

const VARIANTS: Variant[] = [
  { name: 'defaults', what: "Temporal's defaults, history in memory", server: { withoutDynamicConfig: true } },
  { name: 'eager', what: 'eager activity execution (as Signalroom starts Temporal)', server: {} },
  { name: 'eager+file', what: "eager, history in a SQLite file with SQLite's defaults (rollback journal, synchronous=FULL)", server: { dbFile: true, sqlitePragmas: {} } },
  { name: 'eager+file+wal', what: 'eager, SQLite file in WAL mode, synchronous=NORMAL (as `signalroom dev` keeps it)', server: { dbFile: true } },
  { name: 'eager+1-partition', what: 'eager, task queues in one partition instead of 4', server: { dynamicConfig: ONE_PARTITION } },
  {
    name: 'eager+beside-signalroom',
    what: "eager, beside Signalroom as the other benches run it: its worker on its own task queue with 2 approvals pending, its HTTP server connected",
    server: {},
    besideSignalroom: true,
    pendingApprovals: 2,
    besideServer: true,
  },
  { name: 'eager+no-cache', what: 'eager, worker without a sticky cache (every task replays the history)', server: {}, worker: { maxCachedWorkflows: 0 } },
];

interface Running {
  v: Variant;
  dev: RunningDevServer;
  client: Client;
  worker: Child;
}

/** Per variant: start → result of each run, and the gaps between its steps. */
const totals = new Map<string, number[]>();
const gaps = new Map<string, StepGaps>();

let seq = 0;

async function once(r: Running, record = true): Promise<void> {
  const id = `floor-${process.pid.toString(36)}-${++seq}`;
  const start = nowMs();
  const handle = await r.client.workflow.start('bareActivities', { taskQueue: QUEUE, workflowId: id, args: [id, 10] });
  await handle.result();
  const total = nowMs() - start;
  if (!record) return;
  totals.get(r.v.name)!.push(total);
  addStepGaps(await handle.fetchHistory(), gaps.get(r.v.name)!);
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'signalroom-bench-floor-'));
  process.once('exit', () => killAllChildren());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: log, log() {} };
  const bundlePath = path.join(tmp, 'bare.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('./baseline-workflows'), logger: quiet as never })).code);
  const prodBundlePath = path.join(tmp, 'prod.js');
  writeFileSync(prodBundlePath, (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quiet as never })).code);
  const sandbox = await startSandbox({ rateLimits: false });
  const cliPath = await obtainTemporalCli({ log });

  const running: Running[] = [];
  const extraChildren: Child[] = [];
  try {
    for (const v of VARIANTS) {
      const dev = await startDevServer({
        cliPath,
        headless: true,
        withoutDynamicConfig: v.server.withoutDynamicConfig,
        dynamicConfig: v.server.dynamicConfig,
        dbFile: v.server.dbFile ? path.join(tmp, `${v.name}.db`) : undefined,
        sqlitePragmas: v.server.sqlitePragmas,
      });
      const config: WorkerProcessConfig = { address: dev.address, namespace: dev.namespace, taskQueue: QUEUE, bundlePath, ...v.worker };
      const worker = startChild('bench/worker-process.ts', ['bare', JSON.stringify(config)]);
      await worker.ready;
      if (v.besideSignalroom) {
        const slack = { apiUrl: sandbox.apiUrl, botToken: sandbox.botToken, signingSecret: sandbox.signingSecret };
        const prod = startChild('bench/worker-process.ts', ['signalroom', JSON.stringify({ ...config, taskQueue: PROD_QUEUE, bundlePath: prodBundlePath, slack, approverGroups: APPROVER_GROUPS })]);
        await prod.ready;
        extraChildren.push(prod);
      }
      const client = new Client({ connection: await Connection.connect({ address: dev.address }) });
      if (v.besideServer) {
        const server = startChild('bench/endpoint-server.ts', ['signalroom', sandbox.signingSecret, dev.address]);
        await server.ready;
        extraChildren.push(server);
      }
      for (let i = 0; i < (v.pendingApprovals ?? 0); i++) {
        await requestApproval(client, { pipeline: 'floor', stage: 'prod', execution: String(i), approverGroups: ['release'], minApprovals: 2, timeout: '2h', destination: { channel: DEPLOYS } }, PROD_QUEUE);
      }
      const r = { v, dev, client, worker };
      running.push(r);
      totals.set(v.name, []);
      gaps.set(v.name, noGaps());
      await once(r, false); // warm-up, not counted
      log(`${v.name}: dev server on ${dev.address}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1} of ${ROUNDS}`);
      // Variants take turns sample by sample; the order turns round by round.
      for (let k = 0; k < SAMPLES; k++) {
        const order = running.map((_, i) => running[(i + round + k) % running.length]);
        for (const r of order) await once(r);
      }
    }
  } finally {
    for (const c of extraChildren) await c.stop();
    await sandbox.close();
    for (const r of running) {
      await r.worker.stop();
      await r.client.connection.close();
      await r.dev.stop();
    }
    rmSync(tmp, { recursive: true, force: true });
  }

  const base = summarize(totals.get('defaults')!);
  const perRound = (name: string) => {
    const ratios = Array.from({ length: ROUNDS }, (_, r) => {
      const slice = (a: number[]) => summarize(a.slice(r * SAMPLES, (r + 1) * SAMPLES)).p50;
      return slice(totals.get(name)!) / slice(totals.get('defaults')!);
    });
    return `${fmtRatio(Math.min(...ratios))}–${fmtRatio(Math.max(...ratios))}`;
  };
  const rows: Row[] = VARIANTS.map((v) => {
    const t = summarize(totals.get(v.name)!);
    return {
      figure: `${v.name}: ${v.what}`,
      measured: `10 no-op activities p50 ${fmtMs(t.p50)}, p99 ${fmtMs(t.p99)} (n=${t.n}); ${describeStepGaps(gaps.get(v.name)!)}`,
      baseline: `defaults: p50 ${fmtMs(base.p50)}`,
      ratio: `p50 ${fmtRatio(t.p50 / base.p50)}; per-round ${perRound(v.name)}`,
      target: '—',
      verdict: '—',
    };
  });
  process.stdout.write(`${textTable(rows)}\n`);
  if (!process.argv.includes('--no-write')) {
    appendResults({
      title: 'per-step floor (bench/floor.ts)',
      startedMs: started,
      how: `${ROUNDS} rounds × ${SAMPLES} runs per variant, variants in turn`,
      rows,
      notes: [
        'Gap: one no-op activity completed → the next one started, from the histories. Dispatch: completed → workflow task started on the worker. Workflow task: started → completed. Activity start: workflow task completed → next activity started.',
      ],
    });
  }
}

void main()
  .then(() => process.exit(0))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
