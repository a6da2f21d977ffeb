/**
 * The topology bench: `npm run bench:topology` (`-- --rounds=5 --samples=8`,
 * `--no-write`, `--note="..."`). Three Temporals side by side, each with its
 * own Slack sandbox, Signalroom server, Signalroom worker and bare worker:
 *
 * - untuned: the dev server with Temporal's defaults (no dynamic config);
 * - tuned: the dev server as Signalroom starts it (deploy/temporal/dynamicconfig.yaml:
 *   eager activity execution);
 * - cluster: `signalroom cluster up`, 2 nodes on PostgreSQL (DATABASE_URL, else 127.0.0.1:5432).
 *
 * On each: click → ack (against a bare signal), click → card updated and the
 * same click signalled straight to Temporal (against signal → one no-op
 * activity), a 10-step runbook (against 10 no-op activities), and the gap
 * between consecutive no-op activities.
 *
 * Figures and baselines alternate in rounds (which goes first turning sample
 * by sample, targets in turn), so background load hits both alike; the
 * spread between rounds' p50s is reported. Each sample starts after a pause
 * (SETTLE_MS), and the click's card and the baseline's bare workflow were
 * both started in a batch before the round: neither side meets the other's
 * tail, or a server still busy with its own workflow's start. The Signalroom
 * server runs in its own process (bench/endpoint-server.ts with a real
 * Temporal client), so the load this process drives does not share an event
 * loop with the server under test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { requestApproval } from '../src/approvals/client';
import { openIncident } from '../src/incidents/client';
import { parseRunbook } from '../core/runbook/validate';
import { startSandbox, type Sandbox } from '../src/sandbox';
import { APPROVE_ACTION } from '../core/slack/blocks/approval-card';
import { responseUrlBaseOf } from '../src/slack/response-url';
import { obtainTemporalCli } from '../src/temporal/cli-binary';
import { clusterDown, clusterUp } from '../src/temporal/cluster/cluster';
import { startDevServer, type RunningDevServer } from '../src/temporal/dev-server';
import { workflowsPath } from '../src/worker';
import { approvalDecisionSignal, incidentResolveSignal } from '../workflows/messages';
import { bareSignal, bareStop } from './baseline-workflows';
import { killAllChildren, startChild, type Child } from './children';
import { nowMs } from './http-load';
import { appendResults, APPROVER_GROUPS, ONE_CLICKER_BURST, arg, BARE_QUEUE, DEPLOYS, log, PROD_QUEUE, sleep } from './common';
import { pooled, spread, type Round } from './rounds';
import { fmtMs, fmtRatio, textTable, type Row } from './stats';
import { addLocalSteps, addStepGaps, describeLocalSteps, describeStepGaps, noGaps, noLocalSteps, type LocalSteps, type StepGaps } from './step-gaps';

const ROUNDS = Number(arg('rounds') ?? 4);
const SAMPLES = Number(arg('samples') ?? 6);

async function until(what: string, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`bench timed out waiting for ${what}`);
    await sleep(1);
  }
}

const { runbook: TEN_STEPS } = parseRunbook(
  [
    'name: bench-ten-steps',
    'steps:',
    '- Operation: Create Channel',
    '  Name: "bench-[incident.id]"',
    ...Array.from({ length: 9 }, (_, i) => ['- Operation: Send Message', `  Message: "step ${i + 2} of 10 for [incident.id]"`]).flat(),
  ].join('\n'),
  'bench-ten-steps.yaml',
);

interface Target {
  name: 'untuned' | 'tuned' | 'cluster';
  label: string;
  address: string;
  sandbox: Sandbox;
  client: Client;
  children: Child[];
  noopRan(key: string): Promise<void>;
  stop(): Promise<void>;
}

async function startTarget(name: Target['name'], bundles: { prod: string; bare: string }, tmp: string): Promise<Target> {
  let address: string;
  let stopTemporal: () => Promise<void>;
  let label: string;
  if (name === 'cluster') {
    const dataDir = path.join(tmp, 'cluster');
    const state = await clusterUp({ dataDir, nodes: 2, databaseName: 'signalroom_bench_temporal', log });
    address = state.nodes[0].frontend;
    label = '2-node cluster on PostgreSQL (tuned)';
    stopTemporal = async () => void (await clusterDown({ dataDir, log: () => undefined }));
  } else {
    const dev: RunningDevServer = await startDevServer({ cliPath: await obtainTemporalCli({ log }), headless: true, withoutDynamicConfig: name === 'untuned' });
    address = dev.address;
    label = name === 'tuned' ? 'dev server, tuned (eager activities)' : "dev server, Temporal's defaults";
    stopTemporal = () => dev.stop();
  }
  const sandbox = await startSandbox({ rateLimits: false });
  const waiters = new Map<string, () => void>();
  const ran = new Set<string>();
  const config = (kind: 'signalroom' | 'bare') => ({
    address,
    namespace: 'default',
    taskQueue: kind === 'signalroom' ? PROD_QUEUE : BARE_QUEUE,
    bundlePath: kind === 'signalroom' ? bundles.prod : bundles.bare,
    notifyNoop: kind === 'bare',
    slack: { apiUrl: sandbox.apiUrl, botToken: sandbox.botToken, signingSecret: sandbox.signingSecret },
    approverGroups: APPROVER_GROUPS,
  });
  const prod = startChild('bench/worker-process.ts', ['signalroom', JSON.stringify(config('signalroom'))]);
  const bare = startChild('bench/worker-process.ts', ['bare', JSON.stringify(config('bare'))], [], (m) => {
    if (typeof m.noop !== 'string') return;
    ran.add(m.noop);
    waiters.get(m.noop)?.();
    waiters.delete(m.noop);
  });
  const server = startChild('bench/endpoint-server.ts', ['signalroom', sandbox.signingSecret, address, responseUrlBaseOf(sandbox.apiUrl)!, String(ONE_CLICKER_BURST)]);
  const [, , ready] = await Promise.all([prod.ready, bare.ready, server.ready]);
  sandbox.setRequestUrl(new URL('/slack/interactions', String(ready.url)).toString());
  const client = new Client({ connection: await Connection.connect({ address }) });
  log(`${name}: Temporal on ${address}, server ${String(ready.url)}`);
  const children = [prod, bare, server];
  return {
    name,
    label,
    address,
    sandbox,
    client,
    children,
    noopRan: (key) => (ran.has(key) ? Promise.resolve() : new Promise((resolve) => waiters.set(key, resolve))),
    async stop() {
      await Promise.all(children.map((c) => c.stop()));
      await client.connection.close();
      await sandbox.close();
      await stopTemporal();
    },
  };
}

// ------------------------------------------------------------ one sample each

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid.toString(36)}-${++seq}`;

/** Pending approvals (two needed), cards posted: targets for clicks. */
async function pendingApprovals(t: Target, count: number): Promise<Array<{ workflowId: string; ts: string }>> {
  const out: Array<{ workflowId: string; ts: string }> = [];
  for (let i = 0; i < count; i++) {
    const execution = unique('ap');
    const handle = await requestApproval(t.client, { pipeline: 'bench', stage: 'prod', execution, approverGroups: ['release'], minApprovals: 2, timeout: '2h', destination: { channel: DEPLOYS } }, PROD_QUEUE);
    let ts = '';
    await until(`card ${execution}`, () => {
      ts = t.sandbox.messages(DEPLOYS).find((m) => (m.metadata?.event_payload as { execution?: string } | undefined)?.execution === execution)?.ts ?? '';
      return ts !== '';
    });
    out.push({ workflowId: handle.workflowId, ts });
  }
  return out;
}

/** A refused click (alice is no approver): the POST until Slack has its 200. */
async function clickToAck(t: Target, card: { ts: string; workflowId: string }): Promise<number> {
  const start = nowMs();
  const click = await t.sandbox.click({ userId: 'U0ALICE', channelId: DEPLOYS, messageTs: card.ts, actionId: APPROVE_ACTION, value: card.workflowId });
  const elapsed = nowMs() - start;
  if (click.response.status !== 200) throw new Error(`click answered ${click.response.status}`);
  return elapsed;
}

async function bareSignalOnce(t: Target, waiterId: string): Promise<number> {
  const start = nowMs();
  await t.client.workflow.getHandle(waiterId).signal(bareSignal, { key: unique('s') });
  return nowMs() - start;
}

/** Until the card shows `text`: the sandbox says so as it applies the update (no polling, as the baseline's worker reports its no-op). */
function cardShows(t: Target, card: { ts: string }, text: string): Promise<void> {
  return t.sandbox.waitUntil(`${text} on the card`, () => t.sandbox.message(DEPLOYS, card.ts)?.text.includes(text) ?? false, 60_000);
}

/** carol approves: from when the sandbox sends her click (as Slack would) until the card shows 1 of 2. */
async function clickToCard(t: Target, card: { ts: string; workflowId: string }): Promise<number> {
  const click = t.sandbox.click({ userId: 'U0CAROL', channelId: DEPLOYS, messageTs: card.ts, actionId: APPROVE_ACTION, value: card.workflowId });
  await cardShows(t, card, '1 of 2');
  const updated = nowMs();
  const answered = await click;
  return updated - answered.response.sentAtMs!;
}

/**
 * carol's click as the server signals it (what the signature proved), sent
 * straight to Temporal: click → card updated without Signalroom's HTTP
 * endpoint, against the same baseline.
 */
async function signalToCard(t: Target, card: { ts: string; workflowId: string }): Promise<number> {
  const start = nowMs();
  await t.client.workflow.getHandle(card.workflowId).signal(approvalDecisionSignal, {
    verb: 'approve',
    user: { id: 'U0CAROL' },
    provenance: { integrations: ['organization'], channelId: DEPLOYS, messageTs: card.ts },
    channelId: DEPLOYS,
    messageTs: card.ts,
  });
  await cardShows(t, card, '1 of 2');
  return nowMs() - start;
}

/**
 * Bare workflows waiting for the signal that runs their one no-op activity,
 * started in a batch as the approvals are: each sample's workflow has waited
 * as long as a card has (a workflow started just before its signal finds the
 * server still busy with its start).
 */
async function waitingBareWorkflows(t: Target, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => unique('sa'));
  for (const id of ids) await t.client.workflow.start('bareSignalThenActivity', { taskQueue: BARE_QUEUE, workflowId: id });
  return ids;
}

async function signalToActivity(t: Target, id: string): Promise<number> {
  const ran = t.noopRan(id);
  const start = nowMs();
  await t.client.workflow.getHandle(id).signal(bareSignal, { key: id });
  await ran;
  return nowMs() - start;
}

async function runbook(t: Target): Promise<number> {
  const id = unique('rb');
  const start = nowMs();
  const handle = await openIncident(t.client, TEN_STEPS!, { 'incident.id': id }, PROD_QUEUE);
  await t.sandbox.waitUntil(`runbook ${id}`, () => {
    const channel = t.sandbox.channelByName(`bench-${id}`);
    return channel ? t.sandbox.messages(channel.id).some((m) => m.text.startsWith('step 10 of 10')) : false;
  }, 60_000);
  const elapsed = nowMs() - start;
  // Resolved and finished before the baseline's turn: its summary and archive must not run beside the next sample.
  await handle.signal(incidentResolveSignal, { summary: 'bench' });
  await handle.result();
  // Where the runbook's time went, from the history.
  addLocalSteps(await handle.fetchHistory(), (localSteps[t.name] ??= noLocalSteps()));
  return elapsed;
}

const localSteps: Record<string, LocalSteps> = {};
const gaps: Record<string, StepGaps> = {};

async function tenNoops(t: Target): Promise<number> {
  const key = unique('ten');
  const done = t.noopRan(`${key}/9`);
  const start = nowMs();
  await t.client.workflow.start('bareActivities', { taskQueue: BARE_QUEUE, workflowId: key, args: [key, 10] });
  await done;
  const elapsed = nowMs() - start;
  // Where the time between steps went, from the history.
  addStepGaps(await t.client.workflow.getHandle(key).fetchHistory(), (gaps[t.name] ??= noGaps()));
  return elapsed;
}

// ------------------------------------------------------------ the run

/** What one sample of a pair takes: a pending card, a waiting bare workflow, the bare waiter. */
interface SampleInput {
  cards: Array<{ ts: string; workflowId: string }>;
  bares: string[];
  waiter: string;
}

type Pair = {
  figure: string;
  baseline: string;
  /** Takes one pending card and one waiting bare workflow per sample. */
  usesCards?: boolean;
  measureFigure: (t: Target, input: SampleInput) => Promise<number>;
  measureBaseline: (t: Target, input: SampleInput) => Promise<number>;
};

/**
 * How long the machine is left to settle before each sample, figure or
 * baseline alike: the previous sample's tail (a reply to the clicker, a bare
 * workflow's close, a resolved runbook's summary) must not run into the next.
 */
const SETTLE_MS = 250;

/** One sample of each side, which goes first turning sample by sample. */
async function measurePair(p: Pair, t: Target, input: SampleInput, figureFirst: boolean): Promise<[number, number]> {
  const one = async (side: 'figure' | 'baseline') => {
    await sleep(SETTLE_MS);
    return side === 'figure' ? p.measureFigure(t, input) : p.measureBaseline(t, input);
  };
  if (figureFirst) {
    const f = await one('figure');
    return [f, await one('baseline')];
  }
  const b = await one('baseline');
  return [await one('figure'), b];
}

const ALL_PAIRS: Pair[] = [
  {
    figure: 'click → ack',
    baseline: 'bare signal',
    measureFigure: (t, { cards }) => clickToAck(t, cards[0]),
    measureBaseline: (t, { waiter }) => bareSignalOnce(t, waiter),
  },
  {
    figure: 'click → card updated',
    baseline: 'signal → 1 no-op activity',
    usesCards: true,
    measureFigure: (t, { cards }) => clickToCard(t, cards.shift()!),
    measureBaseline: (t, { bares }) => signalToActivity(t, bares.shift()!),
  },
  {
    figure: 'signal → card updated (the click without the HTTP endpoint)',
    baseline: 'signal → 1 no-op activity',
    usesCards: true,
    measureFigure: (t, { cards }) => signalToCard(t, cards.shift()!),
    measureBaseline: (t, { bares }) => signalToActivity(t, bares.shift()!),
  },
  { figure: '10-step runbook', baseline: '10 no-op activities', measureFigure: (t) => runbook(t), measureBaseline: (t) => tenNoops(t) },
];

/** `--only=runbook` (or `ack`, `card`, comma-separated) measures some pairs; `--targets=tuned,cluster` some Temporals. */
const PAIRS = ALL_PAIRS.filter((p) => !arg('only') || arg('only')!.split(',').some((k) => p.figure.includes(k)));
const CARD_PAIRS = PAIRS.filter((p) => p.usesCards).length;
const TARGETS = (['untuned', 'tuned', 'cluster'] as const).filter((t) => !arg('targets') || arg('targets')!.split(',').includes(t));

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'signalroom-bench-topology-'));
  process.once('exit', () => killAllChildren());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: log, log() {} };
  const bundles = { prod: path.join(tmp, 'prod.js'), bare: path.join(tmp, 'bare.js') };
  writeFileSync(bundles.prod, (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quiet as never })).code);
  writeFileSync(bundles.bare, (await bundleWorkflowCode({ workflowsPath: require.resolve('./baseline-workflows'), logger: quiet as never })).code);

  const targets: Target[] = [];
  for (const name of TARGETS) targets.push(await startTarget(name, bundles, tmp));
  // samples[target][pair] = per round: [figure values, baseline values]
  const samples = new Map<string, Round[][]>();
  try {
    const waiters = new Map<string, string>();
    for (const t of targets) {
      const id = unique('waiter');
      await t.client.workflow.start('bareWaiter', { taskQueue: BARE_QUEUE, workflowId: id });
      waiters.set(t.name, id);
      samples.set(t.name, PAIRS.map(() => []));
      // Warm-up: one of each, not counted.
      const input = { cards: await pendingApprovals(t, 1 + CARD_PAIRS), bares: await waitingBareWorkflows(t, CARD_PAIRS), waiter: id };
      for (const p of PAIRS) await measurePair(p, t, input, true);
    }
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1} of ${ROUNDS}`);
      for (const t of targets) {
        const input = { cards: await pendingApprovals(t, SAMPLES * CARD_PAIRS + 1), bares: await waitingBareWorkflows(t, SAMPLES * CARD_PAIRS), waiter: waiters.get(t.name)! };
        for (const [i, p] of PAIRS.entries()) {
          const r = { figure: [] as number[], baseline: [] as number[] };
          for (let k = 0; k < SAMPLES; k++) {
            const [f, b] = await measurePair(p, t, input, (round + k) % 2 === 0);
            r.figure.push(f);
            r.baseline.push(b);
          }
          samples.get(t.name)![i].push(r);
        }
      }
    }
    for (const t of targets) await t.client.workflow.getHandle(waiters.get(t.name)!).signal(bareStop);
  } finally {
    for (const t of targets) await t.stop().catch((err) => log(`stopping ${t.name}: ${(err as Error).message}`));
    rmSync(tmp, { recursive: true, force: true });
  }

  const rows: Row[] = [];
  for (const t of targets) {
    for (const [i, p] of PAIRS.entries()) {
      const rounds = samples.get(t.name)![i];
      const f = pooled(rounds, 'figure');
      const b = pooled(rounds, 'baseline');
      rows.push({
        figure: `${t.label}: ${p.figure}`,
        measured: `p50 ${fmtMs(f.p50)}, p99 ${fmtMs(f.p99)} (n=${f.n})`,
        baseline: `${p.baseline}: p50 ${fmtMs(b.p50)}, p99 ${fmtMs(b.p99)} (n=${b.n})`,
        ratio: `p50 ${fmtRatio(f.p50 / b.p50)}, p99 ${fmtRatio(f.p99 / b.p99)}; per-round p50 ratio ${spread(rounds)}`,
        target: '—',
        verdict: '—',
      });
    }
  }
  const gapLines = targets.map((t) => `${t.label}: ${describeStepGaps(gaps[t.name] ?? noGaps())}`);
  const runbookLines = targets.filter((t) => localSteps[t.name]).map((t) => `${t.label}: ${describeLocalSteps(localSteps[t.name]!)}`);
  process.stdout.write(`${textTable(rows)}\n\nGap between consecutive no-op activities (history): ${gapLines.join('; ')}\n`);
  if (runbookLines.length) process.stdout.write(`10-step runbook (history): ${runbookLines.join('; ')}\n`);
  if (!process.argv.includes('--no-write')) {
    appendResults({
      title: 'topology run (bench/topology.ts)',
      startedMs: started,
      how: `${ROUNDS} rounds × ${SAMPLES} samples per figure and baseline, alternating`,
      rows,
      notes: [
        ...(PAIRS.some((p) => p.figure === '10-step runbook') ? [] : ['(the 10-step runbook was not measured in this run: no gaps between steps below)']),
        `Between steps, from the histories of the 10-activity baselines (gap: one no-op activity completed → the next started; dispatch: completed → workflow task started on the worker; then the workflow task; then the next activity's start): ${gapLines.join('; ')}.`,
        ...(runbookLines.length
          ? [
              `The 10-step runbook, from its histories (dispatch: started → first workflow task started on the worker; workflow start-up: → the first local activity scheduled; per local step: from one local activity's schedule to the next, i.e. the Slack call and the workflow's code for the next step): ${runbookLines.join('; ')}.`,
            ]
          : []),
        'Per-round p50 ratio: the lowest and highest figure/baseline ratio of the p50s of single rounds; each round measures figure and baseline alternately, sample by sample.',
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
