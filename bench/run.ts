/**
 * Signalroom's benchmarks: `npm run bench` (full, about 5 minutes on 2 cores)
 * or `npm run bench -- --quick` (a smaller run). Every figure is a ratio
 * against a baseline measured in the same run on the same machine, with p50
 * and p99 and the raw numbers; the run prints a table and appends it, with
 * the machine and the commit, to bench/RESULTS.md.
 *
 * Options: --quick, --only=1,2,3,4,5, --pending=1000,10000, --note="...",
 * --no-write (print only), --cpu-prof=DIR (figure 4: Signalroom's endpoint
 * server writes a CPU profile of the whole run into DIR).
 *
 * Everything runs on loopback: its own Temporal dev server (free port,
 * headless, in memory), its own Slack sandbox (rate limits off), Signalroom's
 * server and worker, and a bench-only worker for the baseline workflows.
 *
 * Against a noisy machine: every figure is measured in rounds (--rounds=N,
 * default 4), figure and baseline alternating within each round, and the
 * lowest and highest per-round ratio is reported beside the pooled one. The
 * servers under test (Signalroom's, the bare Fastify route) run in processes
 * of their own; this process only drives the load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowIdConflictPolicy } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tsToMs } from '@temporalio/common/lib/time';
import { WebClient } from '@slack/web-api';
import { approvalWorkflowId, requestApproval } from '../src/approvals/client';
import { openIncident } from '../src/incidents/client';
import { parseRunbook } from '../core/runbook/validate';
import type { Runbook } from '../core/runbook/types';
import { startSandbox, type Sandbox } from '../src/sandbox';
import { APPROVE_ACTION } from '../core/slack/blocks/approval-card';
import { INTERACTIONS_PATH } from '../src/server/slack-interactions';
import { responseUrlBaseOf } from '../src/slack/response-url';
import { obtainTemporalCli } from '../src/temporal/cli-binary';
import { startDevServer, type RunningDevServer } from '../src/temporal/dev-server';
import { workflowsPath } from '../src/worker';
import { approvalDecisionSignal, incidentResolveSignal } from '../workflows/messages';
import { bareSignal } from './baseline-workflows';
import { killAllChildren, startChild, type Child } from './children';
import { approveClickPayload, closedLoop, nowMs, Poster, responseUrlSink, signedClick, steadyRate } from './http-load';
import { appendResults, APPROVER_GROUPS, ONE_CLICKER_BURST, BARE_QUEUE, DEPLOYS, log, PROD_QUEUE, ROOT, sleep } from './common';
import { machineInfo } from './machine';
import { alternate, pooled, spread, type Round } from './rounds';
import type { WorkerReport, WorkerProcessConfig } from './worker-process';
import { fmtBytes, fmtMs, fmtRatio, summarize, textTable, type Row, type Summary } from './stats';
import { addLocalSteps, describeLocalSteps, noLocalSteps } from './step-gaps';


// ---------------------------------------------------------------- options

interface Options {
  quick: boolean;
  only: Set<number>;
  pending: number[];
  note?: string;
  write: boolean;
  rounds: number;
  /** Where Signalroom's endpoint server of figure 4 writes a CPU profile (node --cpu-prof), if anywhere. */
  cpuProf?: string;
}

function parseArgs(argv: string[]): Options {
  const get = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = argv.includes('--quick');
  const only = get('only');
  const pending = get('pending');
  return {
    quick,
    only: new Set((only ?? '1,2,3,4,5').split(',').map(Number)),
    pending: (pending ?? (quick ? '200' : '1000,10000')).split(',').map(Number),
    note: get('note'),
    write: !argv.includes('--no-write'),
    rounds: Number(get('rounds') ?? 4),
    cpuProf: get('cpu-prof'),
  };
}

/** Sample sizes and durations: full aims at about 5 minutes on 2 cores. */
function sizes(quick: boolean) {
  return quick
    ? { ackSamples: 60, rateMs: 3_000, updateSamples: 15, runbookSamples: 5, endpointMs: 2_000, cachedWorkflows: 200, pendingClicks: 40, pendingUpdates: 10, pendingCapMs: 60_000 }
    : { ackSamples: 300, rateMs: 10_000, updateSamples: 200, runbookSamples: 20, endpointMs: 5_000, cachedWorkflows: 1_000, pendingClicks: 200, pendingUpdates: 30, pendingCapMs: 600_000 };
}

// ---------------------------------------------------------------- helpers


/** Polls `probe` every millisecond or so until it is true; fails after `timeoutMs`. */
async function until(what: string, probe: () => boolean, timeoutMs = 30_000, everyMs = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`bench timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

function runbookFrom(text: string, file: string): Runbook {
  const { runbook, problems } = parseRunbook(text, file);
  if (!runbook || problems.length) throw new Error(`bench runbook ${file} is invalid: ${JSON.stringify(problems)}`);
  return runbook;
}

/** Ten Slack steps, as an incident's runbook opens: the channel, then nine posts into it. */
const TEN_STEP_RUNBOOK = runbookFrom(
  [
    'name: bench-ten-steps',
    'steps:',
    '- Action Type: Slack',
    '  Operation: Create Channel',
    '  Name: "bench-[incident.id]"',
    ...Array.from({ length: 9 }, (_, i) => [
      '- Action Type: Slack',
      '  Operation: Send Message',
      `  Message: "step ${i + 2} of 10 for [incident.id]"`,
    ]).flat(),
  ].join('\n'),
  'bench-ten-steps.yaml',
);

/** The smallest incident: one post, then the workflow waits for updates (what a cached incident costs). */
const ONE_STEP_RUNBOOK = runbookFrom(
  ['name: bench-one-step', 'steps:', '- Action Type: Slack', '  Operation: Send Message', '  Channel: C0INCIDENTS', '  Message: "incident [incident.id] opened"'].join('\n'),
  'bench-one-step.yaml',
);

// ---------------------------------------------------------------- the stack

interface Stack {
  dev: RunningDevServer;
  sandbox: Sandbox;
  client: Client;
  /** Signalroom's worker, in its own process as in production. */
  prodWorker: Child;
  /** The bench-only worker of the baseline workflows, in its own process too. */
  bareWorker: Child;
  /** Signalroom's HTTP server (`buildServer` against this Temporal), in its own process. */
  server: Child;
  serverUrl: URL;
  poster: Poster;
  sink: Awaited<ReturnType<typeof responseUrlSink>>;
  prodBundlePath: string;
  bareBundlePath: string;
  tmp: string;
  /** Resolves when the bare worker's no-op activity ran with this key. */
  noopRan(key: string): Promise<void>;
}

const bundleLogger = (() => {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => log(m), log: noop };
})();

async function startStack(): Promise<Stack> {
  const t0 = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'signalroom-bench-'));
  const cliPath = await obtainTemporalCli({ log });
  const dev = await startDevServer({ cliPath, headless: true });
  // Interrupted (Ctrl-C) or failed: leave no dev server behind (main() sees to the other children).
  process.once('exit', () => {
    if (dev.process.exitCode === null && dev.process.signalCode === null) dev.process.kill('SIGKILL');
  });
  log(`Temporal dev server on ${dev.address} (headless, in memory)`);

  const sandbox = await startSandbox({ rateLimits: false });

  const [prodBundle, bareBundle] = [
    await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: bundleLogger }),
    await bundleWorkflowCode({ workflowsPath: require.resolve('./baseline-workflows'), logger: bundleLogger }),
  ];
  const prodBundlePath = path.join(tmp, 'signalroom-workflows.js');
  const bareBundlePath = path.join(tmp, 'baseline-workflows.js');
  writeFileSync(prodBundlePath, prodBundle.code);
  writeFileSync(bareBundlePath, bareBundle.code);

  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection, namespace: dev.namespace });

  const waiters = new Map<string, () => void>();
  const ran = new Set<string>();
  const onNoop = (key: string) => {
    ran.add(key);
    waiters.get(key)?.();
    waiters.delete(key);
  };
  // Both workers run with the production tuning defaults (`worker:` in signalroom.yaml).
  const workerConfig = (kind: 'signalroom' | 'bare'): WorkerProcessConfig => ({
    address: dev.address,
    namespace: dev.namespace,
    taskQueue: kind === 'signalroom' ? PROD_QUEUE : BARE_QUEUE,
    bundlePath: kind === 'signalroom' ? prodBundlePath : bareBundlePath,
    notifyNoop: kind === 'bare',
    slack: { apiUrl: sandbox.apiUrl, botToken: sandbox.botToken, signingSecret: sandbox.signingSecret },
    approverGroups: APPROVER_GROUPS,
  });
  const sink = await responseUrlSink();
  const prodWorker = startChild('bench/worker-process.ts', ['signalroom', JSON.stringify({ ...workerConfig('signalroom'), responseUrlBases: [sink.url] })]);
  const bareWorker = startChild('bench/worker-process.ts', ['bare', JSON.stringify(workerConfig('bare'))], [], (m) => {
    if (typeof m.noop === 'string') onNoop(m.noop);
  });
  await Promise.all([prodWorker.ready, bareWorker.ready]);

  // Clicks answer through the sandbox's response URLs (figure 2) or the bench's sink (figure 1).
  const responseUrlBases = [responseUrlBaseOf(sandbox.apiUrl)!, sink.url];
  const server = startChild('bench/endpoint-server.ts', ['signalroom', sandbox.signingSecret, dev.address, responseUrlBases.join(','), String(ONE_CLICKER_BURST)]);
  const serverUrl = new URL(String((await server.ready).url));
  sandbox.setRequestUrl(new URL('/slack/interactions', serverUrl).toString());
  log(`stack ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: server ${serverUrl.origin}, sandbox ${sandbox.url}`);
  return {
    dev,
    sandbox,
    client,
    prodWorker,
    bareWorker,
    server,
    serverUrl,
    poster: new Poster(serverUrl, 256),
    sink,
    prodBundlePath,
    bareBundlePath,
    tmp,
    noopRan(key) {
      if (ran.has(key)) return Promise.resolve();
      return new Promise((resolve) => waiters.set(key, resolve));
    },
  };
}

async function stopStack(s: Stack): Promise<void> {
  s.poster.close();
  await Promise.all([s.server.stop(), s.prodWorker.stop(), s.bareWorker.stop()]);
  await s.client.connection.close();
  await s.sink.close();
  await s.sandbox.close();
  await s.dev.stop();
  rmSync(s.tmp, { recursive: true, force: true });
}

/** A pause before each sample of figures 1 (one at a time) and 2, on either side (as in bench/topology.ts). */
const SETTLE_MS = 250;

/** Waits (bounded) until a worker has nothing in flight, so one figure's tail does not load the next. */
async function settle(worker: Child, maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let quietSince = 0;
  while (Date.now() < deadline) {
    const st = await workerStatus(worker);
    if (st.inFlightActivations === 0 && st.inFlightActivities === 0) {
      quietSince ||= Date.now();
      if (Date.now() - quietSince > 300) return;
    } else quietSince = 0;
    await sleep(50);
  }
}

function workerStatus(worker: Child): Promise<WorkerReport> {
  return worker.request<{ report: WorkerReport }>({ op: 'status' }).then((m) => m.report);
}

// ---------------------------------------------------------------- approvals

interface PendingApproval {
  workflowId: string;
  execution: string;
  ts: string;
}

/**
 * Starts `count` approvals (2 approvals needed from carol and dave, cards in
 * #deploys) and waits until every card is posted. Returns them with their
 * message ts, or as many as were ready when `capMs` ran out.
 *
 * At most IN_FLIGHT are started and not yet posted at any time: a flood of
 * starts would have the worker evict and replay half-started runs from its
 * cache, and leave it still busy when the measurement begins.
 */
async function startApprovals(s: Stack, stage: string, count: number, capMs = 120_000): Promise<PendingApproval[]> {
  const t0 = Date.now();
  const executions = Array.from({ length: count }, (_, i) => `${stage}-${i}`);
  const wanted = new Set(executions);
  const found = new Map<string, string>();
  let scanned = 0;
  const scan = () => {
    const messages = s.sandbox.messages(DEPLOYS);
    for (; scanned < messages.length; scanned++) {
      const m = messages[scanned];
      const execution = (m.metadata?.event_payload as { execution?: string } | undefined)?.execution;
      if (execution && wanted.has(execution)) found.set(execution, m.ts);
    }
    return found.size;
  };
  const deadline = t0 + capMs;
  let started = 0;
  const IN_FLIGHT = 300;
  let ready = 0; // updated by the loop below: scanning from 32 starters would cost more than the starts
  const starting = pool(executions, 32, async (execution) => {
    while (started - ready >= IN_FLIGHT && Date.now() <= deadline) await sleep(50);
    if (Date.now() > deadline) return;
    await requestApproval(
      s.client,
      { pipeline: 'bench', stage, execution, approverGroups: ['release'], minApprovals: 2, timeout: '2h', destination: { channel: DEPLOYS } },
      PROD_QUEUE,
    );
    started++;
  });
  let last = 0;
  for (;;) {
    await sleep(100);
    ready = scan();
    if (ready >= count) break;
    if (Date.now() > deadline) {
      log(`  ${stage}: ${ready} of ${count} approvals ready after ${((Date.now() - t0) / 1000).toFixed(0)} s: stopping there`);
      break;
    }
    if (Date.now() - last > 10_000) {
      last = Date.now();
      log(`  ${stage}: ${started} started, ${ready} cards posted (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  await starting;
  // Every started run must be posted (and the worker idle) before anything is measured.
  await until(`${stage} approval cards`, () => scan() >= started, 120_000, 100).catch(() => undefined);
  const elapsed = (Date.now() - t0) / 1000;
  log(`  ${stage}: ${found.size} pending approvals ready in ${elapsed.toFixed(1)} s (${(found.size / elapsed).toFixed(0)}/s)`);
  return executions.filter((e) => found.has(e)).map((e) => ({ execution: e, workflowId: approvalWorkflowId({ pipeline: 'bench', stage, execution: e }), ts: found.get(e)! }));
}

/** What the server would signal for a click: the same payload for the bare signal. */
function decisionSignalFor(payload: ReturnType<typeof approveClickPayload>) {
  return {
    verb: 'approve',
    user: { id: payload.user.id, name: payload.user.name, teamId: payload.user.team_id },
    channelId: payload.channel.id,
    messageTs: payload.container.message_ts,
    responseUrl: payload.response_url,
    triggerId: payload.trigger_id,
    actionTs: payload.actions[0].action_ts,
  };
}

/** The server's own count of click outcomes (signalroom_slack_clicks_total). */
async function clickOutcomes(s: Stack): Promise<string> {
  const body = await (await fetch(new URL('/metrics', s.serverUrl))).text();
  const found = [...body.matchAll(/^signalroom_slack_clicks_total\{outcome="([^"]+)"\} (\d+)/gm)].map((m) => `${m[1]} ${m[2]}`);
  return found.join(', ') || 'none';
}

/** One signed click by a non-approver (refused by the workflow, answered through response_url): POST → status. */
async function timedClick(s: Stack, target: PendingApproval): Promise<number> {
  const payload = approveClickPayload({ workflowId: target.workflowId, user: 'U0ALICE', responseUrl: s.sink.url });
  const signed = signedClick(s.sandbox.signingSecret, payload);
  const t = nowMs();
  const status = await s.poster.post('/slack/interactions', signed);
  if (status !== 200) throw new Error(`click answered HTTP ${status}`);
  return nowMs() - t;
}

async function timedBareSignal(s: Stack, target: PendingApproval): Promise<number> {
  const payload = approveClickPayload({ workflowId: target.workflowId, user: 'U0ALICE', responseUrl: s.sink.url });
  const signal = decisionSignalFor(payload);
  const t = nowMs();
  await s.client.workflow.getHandle(target.workflowId).signal(approvalDecisionSignal, signal);
  return nowMs() - t;
}

/**
 * A click through the sandbox (as Slack sends it) until the card in the
 * sandbox shows the new progress, timed from when the sandbox sends the
 * click: what the sandbox does before (finding the message, building the
 * payload Slack would send) stands in for Slack's own work, which the
 * baseline has no part of.
 */
async function timedClickToUpdate(s: Stack, target: PendingApproval): Promise<number> {
  const progressed = () => s.sandbox.message(DEPLOYS, target.ts)?.text.includes('1 of 2') ?? false;
  const click = s.sandbox.click({ userId: 'U0CAROL', channelId: DEPLOYS, messageTs: target.ts, actionId: APPROVE_ACTION, value: target.workflowId });
  // Told by the sandbox as it applies the update, as the baseline is told by its worker when the no-op runs: neither side polls.
  await s.sandbox.waitUntil(`card ${target.workflowId} to show 1 of 2`, progressed, 30_000);
  const updated = nowMs();
  const answered = await click;
  if (answered.response.status !== 200) throw new Error(`sandbox click answered ${answered.response.status ?? answered.response.error}`);
  return updated - answered.response.sentAtMs!;
}

/** Where a workflow's time went, from its history: activity run time, activity queue time, workflow task time (ms, summed). */
async function historyBreakdown(s: Stack, workflowId: string): Promise<{ activityRun: number; activityQueue: number; workflowTasks: number; activities: number }> {
  const history = await s.client.workflow.getHandle(workflowId).fetchHistory();
  const at = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) => tsToMs(e.eventTime as never);
  const byId = new Map<string, number>();
  const out = { activityRun: 0, activityQueue: 0, workflowTasks: 0, activities: 0 };
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    byId.set(id, at(e));
    if (e.activityTaskStartedEventAttributes) out.activityQueue += at(e) - (byId.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ?? at(e));
    if (e.activityTaskCompletedEventAttributes) {
      out.activityRun += at(e) - (byId.get(String(e.activityTaskCompletedEventAttributes.startedEventId)) ?? at(e));
      out.activities++;
    }
    if (e.workflowTaskCompletedEventAttributes) out.workflowTasks += at(e) - (byId.get(String(e.workflowTaskCompletedEventAttributes.startedEventId)) ?? at(e));
  }
  return out;
}

// ---------------------------------------------------------------- figures

interface Ctx {
  s: Stack;
  o: Options;
  n: ReturnType<typeof sizes>;
  rows: Row[];
  notes: string[];
  /** Figure 1's click → ack p50 minus the bare signal's, for figure 2's note. */
  ackOverheadP50?: number;
}

const raw = (x: Summary) => `p50 ${fmtMs(x.p50)}, p99 ${fmtMs(x.p99)} (n=${x.n})`;
/** Pooled p50 and p99 ratios, and how far single rounds' p50 ratios ranged. */
const ratios = (rounds: Round[]) => {
  const f = pooled(rounds, 'figure');
  const b = pooled(rounds, 'baseline');
  return { f, b, r50: f.p50 / b.p50, r99: f.p99 / b.p99, text: `p50 ${fmtRatio(f.p50 / b.p50)}, p99 ${fmtRatio(f.p99 / b.p99)}; per-round p50 ${spread(rounds)}` };
};
const verdict = (ok: boolean): Row['verdict'] => (ok ? 'pass' : 'MISS');

async function figureClickToAck(c: Ctx): Promise<void> {
  const { s, n, o } = c;
  log('1. click → acknowledgement');
  const targets = await startApprovals(s, 'f1', 50);
  await settle(s.prodWorker);
  let i = 0;
  const click = () => timedClick(s, targets[i++ % targets.length]);
  const bareSignal = () => timedBareSignal(s, targets[i++ % targets.length]);
  await alternate(1, 20, click, bareSignal); // warm both paths (connections, JIT)
  // One at a time: each sample starts once the previous one's tail (the workflow's reply to the clicker) has run, as in figure 2.
  // Without the pause, that tail ran into the next sample, on either side (bench/README.md, Findings); the 200/s row keeps it.
  const one = ratios(await alternate(o.rounds, Math.ceil(n.ackSamples / o.rounds), () => sleep(SETTLE_MS).then(click), () => sleep(SETTLE_MS).then(bareSignal)));
  c.ackOverheadP50 = one.f.p50 - one.b.p50;
  c.rows.push({
    figure: '1. click → ack (one at a time)',
    measured: raw(one.f),
    baseline: `bare handle.signal(): ${raw(one.b)}`,
    ratio: one.text,
    target: 'p99 ≤ 1.3×',
    verdict: verdict(one.r99 <= 1.3),
  });
  // The hop alone, as a reference: a request the server answers without any work (GET /healthz), after the
  // same pause, against the same bare signal. A click costs this hop on top of its signal (bench/README.md, Findings).
  const healthz = async () => {
    const t = nowMs();
    const status = await s.poster.get('/healthz');
    if (status !== 200) throw new Error(`/healthz answered HTTP ${status}`);
    return nowMs() - t;
  };
  const hop = ratios(await alternate(o.rounds, Math.ceil(n.ackSamples / 3 / o.rounds), () => sleep(SETTLE_MS).then(healthz), () => sleep(SETTLE_MS).then(bareSignal)));
  c.rows.push({
    figure: '1. reference: the hop alone (GET /healthz to the server, one at a time)',
    measured: raw(hop.f),
    baseline: `bare handle.signal(): ${raw(hop.b)}`,
    ratio: hop.text,
    target: '— (reference)',
    verdict: '—',
  });
  await settle(s.prodWorker);

  // At a steady rate: a slice of clicks, then a slice of bare signals (the first alternating), per round.
  const rate = 200;
  const sliceMs = Math.round(n.rateMs / o.rounds);
  log(`   ${rate}/s: ${o.rounds} rounds of ${sliceMs / 1000} s of clicks and ${sliceMs / 1000} s of bare signals`);
  const rounds: Round[] = [];
  let errors = 0;
  let bareErrors = 0;
  let achieved = 0;
  for (let r = 0; r < o.rounds; r++) {
    const round: Round = { figure: [], baseline: [] };
    for (const side of r % 2 === 0 ? (['figure', 'baseline'] as const) : (['baseline', 'figure'] as const)) {
      const run = await steadyRate(rate, sliceMs, side === 'figure' ? click : bareSignal);
      round[side] = run.latencies;
      if (side === 'figure') {
        errors += run.errors;
        achieved += run.achieved / o.rounds;
      } else bareErrors += run.errors;
      await settle(s.prodWorker, 60_000);
    }
    rounds.push(round);
  }
  const at = ratios(rounds);
  c.notes.push(`Click outcomes counted by the server during figure 1: ${await clickOutcomes(s)} (every measured click must be \`delivered\`).`);
  c.rows.push({
    figure: `1. click → ack at ${rate}/s for ${n.rateMs / 1000} s`,
    measured: `${raw(at.f)}, ${achieved.toFixed(0)}/s sent, ${errors} errors`,
    baseline: `bare signals at ${rate}/s: ${raw(at.b)}, ${bareErrors} errors`,
    ratio: `${at.text}, p99 ${spread(rounds, (xs) => summarize(xs).p99)}`,
    target: 'p99 < 300 ms',
    verdict: verdict(at.f.p99 < 300 && errors === 0),
  });
}

async function figureClickToUpdate(c: Ctx): Promise<void> {
  const { s, n, o } = c;
  log('2. click → Slack message updated');
  const targets = await startApprovals(s, 'f2', n.updateSamples + 5);
  const bareIds: string[] = [];
  await pool(
    Array.from({ length: targets.length }, (_, i) => `bare-f2-${i}`),
    32,
    async (id) => {
      await s.client.workflow.start('bareSignalThenActivity', { taskQueue: BARE_QUEUE, workflowId: id, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING });
      bareIds.push(id);
    },
  );
  await settle(s.prodWorker);
  await settle(s.bareWorker);
  const bareOnce = async (id: string) => {
    const t = nowMs();
    const done = s.noopRan(id);
    await s.client.workflow.getHandle(id).signal(bareSignal, { key: id });
    await done;
    return nowMs() - t;
  };
  let nextCard = 0;
  let nextBare = 0;
  // Each sample starts on a settled server: the previous one's tail (the reply to the clicker, a bare workflow's close) must not run into it.
  const real = () => sleep(SETTLE_MS).then(() => timedClickToUpdate(s, targets[nextCard++]));
  const bare = () => sleep(SETTLE_MS).then(() => bareOnce(bareIds[nextBare++]));
  await alternate(1, 5, real, bare); // warm-up: the first five of each
  const m = ratios(await alternate(o.rounds, Math.floor(n.updateSamples / o.rounds), real, bare, () => settle(s.prodWorker, 5_000)));
  // What Signalroom does beyond the baseline's no-op: the chat.update itself, timed alone with the same card.
  const web = new WebClient(s.sandbox.botToken, { slackApiUrl: s.sandbox.apiUrl, retryConfig: { retries: 0 } });
  const updates: number[] = [];
  for (let i = 0; i < targets.length; i++) {
    const card = s.sandbox.message(DEPLOYS, targets[i].ts)!;
    const t = nowMs();
    await web.chat.update({ channel: DEPLOYS, ts: card.ts, text: card.text, blocks: card.blocks as never });
    updates.push(nowMs() - t);
  }
  const us = summarize(updates.slice(5));
  c.notes.push(
    `Figure 2: the card update is a real chat.update to the sandbox, where the baseline's activity does nothing; that call alone (the same cards, @slack/web-api from the bench process) takes ${raw(us)}. ` +
      `The click also crosses Signalroom's HTTP endpoint before the signal${c.ackOverheadP50 === undefined ? '' : ` (figure 1: p50 ${fmtMs(c.ackOverheadP50)} over a bare signal)`}.`,
  );
  c.rows.push({
    figure: '2. click → approval card updated',
    measured: raw(m.f),
    baseline: `signal → 1 no-op activity: ${raw(m.b)}`,
    ratio: m.text,
    target: '≤ 1.2×',
    verdict: verdict(m.r50 <= 1.2 && m.r99 <= 1.2),
  });
}

async function figureRunbook(c: Ctx): Promise<void> {
  const { s, n, o } = c;
  log('3. a 10-step runbook');
  let seq = 0;
  const incidentIds: string[] = [];
  const bareIds: string[] = [];
  const incidentOnce = async () => {
    const id = `b${process.pid.toString(36)}-${++seq}`;
    const lastStep = () => {
      const channel = s.sandbox.channelByName(`bench-${id}`);
      return channel ? s.sandbox.messages(channel.id).some((m) => m.text.startsWith('step 10 of 10')) : false;
    };
    const t = nowMs();
    const handle = await openIncident(s.client, TEN_STEP_RUNBOOK, { 'incident.id': id }, PROD_QUEUE);
    await s.sandbox.waitUntil(`incident ${id}'s tenth step`, lastStep, 60_000);
    const elapsed = nowMs() - t;
    // Resolved and finished before the baseline's turn: its summary and archive must not run beside the next sample.
    await handle.signal(incidentResolveSignal, { summary: 'bench' });
    await handle.result();
    incidentIds.push(handle.workflowId);
    return elapsed;
  };
  const bareOnce = async () => {
    const key = `bare-f3-${++seq}`;
    const t = nowMs();
    const done = s.noopRan(`${key}/9`);
    await s.client.workflow.start('bareActivities', { taskQueue: BARE_QUEUE, workflowId: key, args: [key, 10] });
    await done;
    bareIds.push(key);
    return nowMs() - t;
  };
  await alternate(1, 2, incidentOnce, bareOnce); // warm-up
  const m = ratios(await alternate(o.rounds, Math.ceil(n.runbookSamples / o.rounds), incidentOnce, bareOnce, () => settle(s.prodWorker, 5_000)));
  c.rows.push({
    figure: '3. 10-step runbook (start → 10th Slack effect)',
    measured: raw(m.f),
    baseline: `10 no-op activities: ${raw(m.b)}`,
    ratio: m.text,
    target: '≤ 0.5×',
    verdict: verdict(m.r50 <= 0.5 && m.r99 <= 0.5),
  });
  // Where the time goes, from the histories of the measured runs (medians per run).
  const med = (xs: number[]) => summarize(xs).p50;
  const ib = await Promise.all(incidentIds.slice(2).map((id) => historyBreakdown(s, id)));
  const bb = await Promise.all(bareIds.slice(2).map((id) => historyBreakdown(s, id)));
  const part = (xs: Array<Awaited<ReturnType<typeof historyBreakdown>>>) =>
    `activities run ${fmtMs(med(xs.map((x) => x.activityRun)))} in all (${xs[0]?.activities ?? 0} activities), wait in the task queue ${fmtMs(med(xs.map((x) => x.activityQueue)))}, workflow tasks ${fmtMs(med(xs.map((x) => x.workflowTasks)))}`;
  c.notes.push(`Runbook breakdown from the histories (median per run): incident: ${part(ib)}; bare: ${part(bb)}.`);
  const local = noLocalSteps();
  for (const id of incidentIds.slice(2)) addLocalSteps(await s.client.workflow.getHandle(id).fetchHistory(), local);
  if (local.perStep.length) c.notes.push(`The incident's local steps (docs/ARCHITECTURE.md, "The path of a runbook step"), from its histories: ${describeLocalSteps(local)}.`);
  await settle(s.prodWorker);
}

/** Distinct clicks per second of the endpoint figure: more than Signalroom's server answers on a quiet machine, so none is sent twice. */
const ENDPOINT_BODIES_PER_SECOND = 20_000;

/**
 * How long each server of the endpoint figure is loaded before it is
 * measured. A server's code is compiled as it runs: Signalroom's took about
 * 4 s of clicks to reach its steady rate (Bolt's 2 s, the bare route's 1 s;
 * bench/README.md, Findings), and a server in service runs far longer than
 * that. The same for every server, in quick runs too.
 */
const ENDPOINT_WARMUP_MS = 6_000;

async function figureEndpoint(c: Pick<Ctx, 'n' | 'o' | 'rows' | 'notes'>): Promise<void> {
  const { n, o } = c;
  log('4. endpoint throughput (Temporal stubbed) vs a bare Fastify route and a Bolt app, beside the checks alone');
  const secret = 'bench-signing-secret-0123456789abcdef';
  const UNUSED_RESPONSE_URL = 'http://127.0.0.1:9/unused';
  const connections = 32;
  // Bodies signed up front (each click unique, as the server de-duplicates retries), so the load loop only sends.
  const bodies = Array.from({ length: Math.ceil(((ENDPOINT_WARMUP_MS + n.endpointMs + 1_000) / 1_000) * ENDPOINT_BODIES_PER_SECOND) }, (_, i) =>
    signedClick(secret, approveClickPayload({ workflowId: approvalWorkflowId({ pipeline: 'bench', stage: 'f4', execution: String(i) }), user: 'U0CAROL', responseUrl: UNUSED_RESPONSE_URL })),
  );
  // All four servers up at once, each in its own process; this process only sends.
  // `checks`: the work no endpoint can leave out, without the rest (bench/endpoint-server.ts): a reference, not a target.
  const kinds = ['signalroom', 'bare', 'bolt', 'checks'] as const;
  const servers = await Promise.all(
    kinds.map(async (kind) => {
      const profile = kind === 'signalroom' && o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(o.cpuProf)}`] : [];
      // Signalroom logs every click as `signalroom server` does (on stdout, here /dev/null): a click costs its log line too.
      const child = startChild('bench/endpoint-server.ts', [kind, secret, '-', UNUSED_RESPONSE_URL, String(ONE_CLICKER_BURST), 'info'], profile, undefined, { stdout: 'ignore' });
      const { url } = (await child.ready) as { url: string };
      // Each server walks the bodies on its own, so Signalroom sees a click twice only past the end of the list.
      return { kind, child, poster: new Poster(new URL(url), connections), next: 0 };
    }),
  );
  const cpuMicros = (server: (typeof servers)[number]) => server.child.request<{ cpuMicros: number }>({ op: 'cpu' }).then((m) => m.cpuMicros);
  const load = async (server: (typeof servers)[number], ms: number) => {
    const fire = async () => {
      const status = await server.poster.post(INTERACTIONS_PATH, bodies[server.next++ % bodies.length]);
      if (status !== 200) throw new Error(`HTTP ${status}`);
    };
    const before = await cpuMicros(server);
    const slice = await closedLoop(connections, ms, fire);
    return { ...slice, cpuMicros: (await cpuMicros(server)) - before };
  };
  for (const server of servers) await load(server, ENDPOINT_WARMUP_MS);
  // Rounds of one slice per server; which goes first turns round by round.
  const sliceMs = Math.max(1_000, Math.round(n.endpointMs / o.rounds));
  type Slice = Awaited<ReturnType<typeof load>>;
  const slices: Record<(typeof kinds)[number], Slice[]> = { signalroom: [], bare: [], bolt: [], checks: [] };
  for (let r = 0; r < o.rounds; r++) {
    const order = [...servers.slice(r % servers.length), ...servers.slice(0, r % servers.length)];
    for (const server of order) slices[server.kind].push(await load(server, sliceMs));
  }
  const sent = Object.fromEntries(servers.map((s) => [s.kind, s.next])) as Record<(typeof kinds)[number], number>;
  for (const server of servers) {
    server.poster.close();
    await server.child.stop();
  }
  const total = (xs: Slice[]) => ({
    requests: xs.reduce((a, x) => a + x.requests, 0),
    perSecond: xs.reduce((a, x) => a + x.perSecond, 0) / xs.length,
    errors: xs.reduce((a, x) => a + x.errors, 0),
    latency: summarize(xs.flatMap((x) => x.latencies)),
    cpuPerRequest: xs.reduce((a, x) => a + x.cpuMicros, 0) / Math.max(1, xs.reduce((a, x) => a + x.requests, 0)),
  });
  const cpu = (x: ReturnType<typeof total>) => `server CPU ${x.cpuPerRequest.toFixed(0)} µs/request`;
  const ours = total(slices.signalroom);
  const figure = `4. endpoint throughput, Temporal stubbed (${connections} connections, ${o.rounds} rounds of ${sliceMs / 1000} s)`;
  const measured = `Signalroom: ${ours.perSecond.toFixed(0)} req/s (${ours.requests} requests, ${ours.errors} errors), latency ${raw(ours.latency)}, ${cpu(ours)}`;
  const against = (kind: 'bare' | 'bolt' | 'checks', name: string, target?: number) => {
    const base = total(slices[kind]);
    const ratio = ours.perSecond / base.perSecond;
    const perRound = slices.signalroom.map((x, r) => x.perSecond / slices[kind][r].perSecond);
    c.rows.push({
      figure: `${figure}, against ${name}`,
      measured,
      baseline: `${name}: ${base.perSecond.toFixed(0)} req/s (${base.requests} requests, ${base.errors} errors), latency ${raw(base.latency)}, ${cpu(base)}`,
      ratio: `${fmtRatio(ratio)}; per-round ${fmtRatio(Math.min(...perRound))}–${fmtRatio(Math.max(...perRound))}; by server CPU per request ${fmtRatio(base.cpuPerRequest / ours.cpuPerRequest)}`,
      target: target === undefined ? '— (reference)' : `≥ ${target}×`,
      verdict: target === undefined ? '—' : verdict(ratio >= target && ours.errors === 0 && base.errors === 0),
    });
  };
  against('bare', 'bare Fastify route', 0.6);
  against('bolt', 'Bolt app (HTTPReceiver)', 1.5);
  against('checks', 'the checks alone (node:http: form, signature, payload, response_url, seal, one log line)');
  const repeats = Math.max(0, sent.signalroom - bodies.length);
  const [checks, bolt, bare] = [total(slices.checks), total(slices.bolt), total(slices.bare)];
  c.notes.push(
    `Endpoint: each server in its own process, load from the bench process over ${connections} kept-alive loopback connections to each, one slice at a time (all share the machine's ${os.cpus().length} cores), each server warmed up by ${ENDPOINT_WARMUP_MS / 1000} s of clicks first; ` +
      `${bodies.length} distinct pre-signed clicks; Signalroom got ${sent.signalroom} in all (warm-up included), ${repeats ? `${repeats} of them repeats (answered as Slack retries)` : 'each once'}. ` +
      'Bolt: `new App({ token, botId, botUserId, signingSecret })` with its default receiver (HTTPReceiver), signatures verified, one `app.action` listener that acknowledges. ' +
      `The checks alone: Signalroom's own form, signature, payload and response_url checks and its seal, and one log line, on plain node:http (${fmtRatio(checks.perSecond / bolt.perSecond)} Bolt, ${fmtRatio(checks.perSecond / bare.perSecond)} the bare route): what any design of the endpoint must do, without Fastify, de-duplication, throttles, routing, the delivery or metrics.`,
  );
}

async function figureMemory(c: Ctx): Promise<void> {
  const { s, n } = c;
  const count = n.cachedWorkflows;
  log(`5. worker memory: ${count} cached incident workflows vs ${count} bare workflows`);
  const measure = async (kind: 'signalroom' | 'bare') => {
    const taskQueue = `bench-memory-${kind}`;
    const config: WorkerProcessConfig = {
      address: s.dev.address,
      namespace: s.dev.namespace,
      taskQueue,
      bundlePath: kind === 'signalroom' ? s.prodBundlePath : s.bareBundlePath,
      maxCachedWorkflows: count + 100,
      slack: { apiUrl: s.sandbox.apiUrl, botToken: s.sandbox.botToken, signingSecret: s.sandbox.signingSecret },
    };
    const child = startChild('bench/worker-process.ts', [kind, JSON.stringify(config)], ['--expose-gc']);
    await child.ready;
    const status = () => child.request<{ report: WorkerReport }>({ op: 'status' }).then((m) => m.report);
    // Let the worker's pollers and first workflow thread come up before the baseline reading.
    await sleep(2_000);
    const before = (await child.request<{ report: WorkerReport }>({ op: 'measure' })).report;
    const t0 = Date.now();
    const ids = Array.from({ length: count }, (_, i) => `mem-${kind}-${i}`);
    await pool(ids, 32, async (id) => {
      if (kind === 'signalroom') await openIncident(s.client, ONE_STEP_RUNBOOK, { 'incident.id': id }, taskQueue);
      else await s.client.workflow.start('bareCached', { taskQueue, workflowId: id, args: [id] });
    });
    const deadline = Date.now() + 180_000;
    let quiet = 0;
    for (;;) {
      const st = await status();
      if (st.cached >= count && st.inFlightActivations === 0 && st.inFlightActivities === 0) {
        if (++quiet >= 3) break;
      } else quiet = 0;
      if (Date.now() > deadline) {
        log(`   ${kind}: only ${st.cached} cached after 180 s; measuring there`);
        break;
      }
      await sleep(200);
    }
    const after = (await child.request<{ report: WorkerReport }>({ op: 'measure' })).report;
    log(`   ${kind}: ${after.cached} cached in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await child.stop();
    // Finish them so they do not linger on a queue nobody polls.
    await pool(ids, 32, async (id) => {
      await s.client.workflow
        .getHandle(id)
        .terminate('bench done')
        .catch(() => undefined);
    });
    return { before, after };
  };
  const prod = await measure('signalroom');
  const bare = await measure('bare');
  const d = (m: { before: WorkerReport; after: WorkerReport }, k: 'rss' | 'heapUsed') => m.after[k] - m.before[k];
  const ratio = d(prod, 'rss') / d(bare, 'rss');
  c.rows.push({
    figure: `5. worker memory, ${count} cached workflows`,
    measured: `incidents: RSS +${fmtBytes(d(prod, 'rss'))} (${fmtBytes(prod.before.rss)} → ${fmtBytes(prod.after.rss)}), main heap +${fmtBytes(d(prod, 'heapUsed'))}, ${prod.after.cached} cached`,
    baseline: `bare: RSS +${fmtBytes(d(bare, 'rss'))} (${fmtBytes(bare.before.rss)} → ${fmtBytes(bare.after.rss)}), main heap +${fmtBytes(d(bare, 'heapUsed'))}, ${bare.after.cached} cached`,
    ratio: `RSS delta ${fmtRatio(ratio)}; ${fmtBytes(d(prod, 'rss') / Math.max(1, prod.after.cached))} per incident`,
    target: '(no target)',
    verdict: '—',
  });
}

async function figurePending(c: Ctx): Promise<void> {
  const { s, n, o } = c;
  const all: PendingApproval[] = [];
  for (const level of o.pending) {
    log(`5. ${level} pending approvals in one worker`);
    const more = await startApprovals(s, `p${level}`, level - all.length, n.pendingCapMs);
    all.push(...more);
    await settle(s.prodWorker, 30_000);
    const pick = () => all[Math.floor(Math.random() * all.length)];
    const ackRounds = await alternate(o.rounds, Math.ceil(n.pendingClicks / o.rounds), () => timedClick(s, pick()), () => timedBareSignal(s, pick()));
    await settle(s.prodWorker, 30_000);
    // Click → card updated on approvals picked at random (most are no longer in the worker's cache).
    const fresh = [...all].sort(() => Math.random() - 0.5).slice(0, n.pendingUpdates);
    const updates: number[] = [];
    for (const target of fresh) {
      updates.push(await timedClickToUpdate(s, target));
      await settle(s.prodWorker, 5_000);
    }
    const as = pooled(ackRounds, 'figure');
    const bs = pooled(ackRounds, 'baseline');
    const us = summarize(updates);
    const status = await workerStatus(s.prodWorker);
    c.rows.push({
      figure: `5. ${all.length} pending approvals${all.length < level ? ` (of ${level} wanted: start cap reached)` : ''}, one worker (${status.cached} cached)`,
      measured: `click → ack ${raw(as)}; click → card updated ${raw(us)}`,
      baseline: `bare handle.signal(): ${raw(bs)}`,
      ratio: `ack p99 ${fmtRatio(as.p99 / bs.p99)}; per-round ack p50 ${spread(ackRounds)}`,
      target: level >= 10_000 ? 'click p99 < 500 ms at 10,000' : 'click p99 < 500 ms',
      verdict: level >= 10_000 && all.length < level ? 'MISS' : verdict(as.p99 < 500),
    });
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const n = sizes(o.quick);
  const machine = machineInfo(ROOT);
  const started = Date.now();
  // Interrupted (Ctrl-C) or failed: leave no worker or server process behind.
  process.once('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  log(`${o.quick ? 'quick' : 'full'} run on ${machine.cpu} (${machine.cores} cores, ${machine.memory}), Node ${machine.node}, commit ${machine.commit}`);
  // Figure 4 serves against a stubbed Temporal: alone, it needs no dev server, sandbox or worker.
  const stack = [...o.only].some((f) => f !== 4) ? await startStack() : undefined;
  const c: Ctx = {
    get s(): Stack {
      if (!stack) throw new Error('this figure needs the stack, which was not started');
      return stack;
    },
    o,
    n,
    rows: [],
    notes: [],
  };
  try {
    const figures: Array<[number, string, (c: Ctx) => Promise<void>]> = [
      [1, '1. click → ack', figureClickToAck],
      [2, '2. click → card updated', figureClickToUpdate],
      [3, '3. 10-step runbook', figureRunbook],
      [4, '4. endpoint throughput', figureEndpoint],
      [5, '5. worker memory', figureMemory],
      [5, '5. pending approvals', figurePending],
    ];
    for (const [number, name, figure] of figures) {
      if (!o.only.has(number)) continue;
      try {
        await figure(c);
      } catch (err) {
        // One broken figure is reported as such; the others still run.
        log(`${name} failed: ${(err as Error).stack ?? err}`);
        c.rows.push({ figure: name, measured: `failed: ${(err as Error).message}`, baseline: '', ratio: '', target: '', verdict: 'MISS' });
      }
    }
  } finally {
    if (stack) await stopStack(stack).catch((err) => log(`stopping: ${(err as Error).message}`));
  }
  const seconds = (Date.now() - started) / 1000;
  const loadavg = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  console.log(`\n${textTable(c.rows)}\n`);
  for (const note of c.notes) console.log(`- ${note}`);
  console.log(`${o.quick ? 'quick' : 'full'} run, ${seconds.toFixed(0)} s; load average at the end ${loadavg}`);
  if (!o.write) return;
  appendResults({
    title: `${o.quick ? 'quick' : 'full'} run`,
    startedMs: started,
    how: `options ${process.argv.slice(2).join(' ') || '(none)'}; every figure in ${o.rounds} rounds, figure and baseline alternating`,
    rows: c.rows,
    notes: c.notes,
    machine,
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
