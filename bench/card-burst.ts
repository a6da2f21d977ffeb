/**
 * Slack's rate limit as the ceiling: `npm run bench:burst` (`-- --approvals=100`,
 * `--variants=paced,two-workers,unpaced`, `--note="..."`, `--no-write`).
 *
 * N approvals requested at once into one channel of a sandbox with Slack's
 * rate limits on: the channel takes a burst of posts, then one a second
 * (src/sandbox/rate-limit.ts, chat.postMessage's per-channel rule). The
 * figure is the time from the requests to the last card posted, against the
 * floor those limits allow: (N − burst) seconds at one post a second, as if
 * every card were asked for at the same instant and nothing else took time.
 * Beside it, what Slack refused (429s) and how many idempotency look-ups the
 * retried posts made.
 *
 * Variants, each with its own sandbox and worker processes on one dev server
 * (tuned, as Signalroom starts it): `paced`, one Signalroom worker as it runs
 * in production (src/slack/pacer.ts); `two-workers`, two of them on the same
 * task queue, each pacing itself; `unpaced`, one worker with pacing off, each
 * activity retrying after Slack's Retry-After on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { requestApproval } from '../src/approvals/client';
import { startSandbox, type Sandbox } from '../src/sandbox';
import { obtainTemporalCli } from '../src/temporal/cli-binary';
import { startDevServer } from '../src/temporal/dev-server';
import { workflowsPath } from '../src/worker';
import { killAllChildren, startChild, type Child } from './children';
import { appendResults, APPROVER_GROUPS, arg, DEPLOYS, log, PROD_QUEUE, sleep } from './common';
import { fmtRatio, percentile, textTable, type Row } from './stats';
import type { WorkerProcessConfig } from './worker-process';

const APPROVALS = Number(arg('approvals') ?? 100);
/** The sandbox's chat.postMessage rule, spelled out (these are its defaults): a burst of 20, then one a second per channel. */
const BURST = 20;
const PER_SECOND = 1;
const TARGET = 1.1;

interface Variant {
  name: string;
  what: string;
  workers: number;
  pacing: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'paced', what: 'one worker, Slack calls paced (as in production)', workers: 1, pacing: true },
  { name: 'two-workers', what: 'two workers on one task queue, each pacing itself', workers: 2, pacing: true },
  { name: 'unpaced', what: 'one worker, pacing off: each activity retries after the Retry-After on its own', workers: 1, pacing: false },
];
const CHOSEN = VARIANTS.filter((v) => !arg('variants') || arg('variants')!.split(',').includes(v.name));

interface Outcome {
  v: Variant;
  firstCardMs: number;
  /** Past the burst, the time the channel sat unused while cards were owed: gaps between accepted posts beyond 1.5 s. */
  idleMs: number;
  lastCardMs: number;
  cards: number;
  twice: number;
  refusedPosts: number;
  refusedAll: number;
  lookups: number;
  beforeCards?: Partial<Record<Step, number>>[];
}

/** What an approval does before its card, in the order it does it, by the history events that mark each step. */
const STEPS = [
  ['first workflow task', 'wft'],
  ['approvers resolved', 'resolveApprovers'],
  ['hold board asked', 'subscribeHolds'],
  ['holds answered', 'holdsChanged'],
  ['card posted', 'postMessage'],
] as const;
type Step = (typeof STEPS)[number][1];

/** When each step of STEPS first happened in one approval's history, in ms from `t0`. */
function milestones(history: temporal.api.history.v1.IHistory, t0: number): Partial<Record<Step, number>> {
  const out: Partial<Record<Step, number>> = {};
  const scheduled = new Map<string, string>();
  const first = (step: Step, at: number) => void (out[step] ??= at - t0);
  for (const e of history.events ?? []) {
    const at = tsToMs(e.eventTime as never);
    if (e.workflowTaskStartedEventAttributes) first('wft', at);
    else if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    else if (e.activityTaskCompletedEventAttributes) {
      const type = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
      if (type === 'resolveApprovers' || type === 'subscribeHolds' || type === 'postMessage') first(type, at);
    } else if (e.workflowExecutionSignaledEventAttributes?.signalName === 'holdsChanged') first('holdsChanged', at);
  }
  return out;
}

/** `first workflow task 0.1 s / 1.9 s, …`: each step for the first card's approval and the median one. */
function describeBeforeCards(all: Partial<Record<Step, number>>[]): string {
  if (all.length === 0) return 'not read';
  const firstCard = all.reduce((a, b) => ((b.postMessage ?? Infinity) < (a.postMessage ?? Infinity) ? b : a));
  const s = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`);
  return STEPS.map(([what, step]) => `${what} ${s(firstCard[step])} / ${s(percentile(all.map((m) => m[step] ?? Infinity), 50))}`).join('; ');
}

async function burst(v: Variant, client: Client, sandbox: Sandbox, workerConfig: WorkerProcessConfig, run: number): Promise<Outcome> {
  const workers: Child[] = [];
  try {
    for (let i = 0; i < v.workers; i++) workers.push(startChild('bench/worker-process.ts', ['signalroom', JSON.stringify({ ...workerConfig, slackPacing: v.pacing })]));
    await Promise.all(workers.map((w) => w.ready));
    const pipeline = `burst-${process.pid.toString(36)}-${run}`;
    const start = Date.now();
    const handles = await Promise.all(
      Array.from({ length: APPROVALS }, (_, i) =>
        requestApproval(client, { pipeline, stage: 'prod', execution: `run-${i}`, approverGroups: ['release'], timeout: '1h', destination: { channel: DEPLOYS } }, PROD_QUEUE),
      ),
    );
    const cardsOf = () => sandbox.messages(DEPLOYS).filter((m) => !m.threadTs && m.text.includes(pipeline));
    const deadline = start + 30 * 60_000;
    while (cardsOf().length < APPROVALS) {
      if (Date.now() > deadline) throw new Error(`${v.name}: ${cardsOf().length} of ${APPROVALS} cards after 30 minutes`);
      await sleep(20);
    }
    const posts = sandbox.calls('chat.postMessage').filter((c) => c.args.channel === DEPLOYS);
    const accepted = posts.filter((c) => c.ok).map((c) => c.at - start);
    const lastCardMs = Math.max(...accepted);
    const gaps = accepted.slice(BURST).map((at, i) => at - accepted[BURST - 1 + i]);
    const perExecution = new Map<string, number>();
    for (const m of cardsOf()) perExecution.set(m.text, (perExecution.get(m.text) ?? 0) + 1);
    const outcome: Outcome = {
      v,
      firstCardMs: Math.min(...accepted),
      idleMs: gaps.filter((g) => g > 1_500).reduce((sum, g) => sum + g - 1_000 / PER_SECOND, 0),
      lastCardMs,
      cards: perExecution.size,
      twice: [...perExecution.values()].filter((n) => n > 1).length,
      refusedPosts: posts.filter((c) => c.status === 429).length,
      refusedAll: sandbox.calls().filter((c) => c.status === 429).length,
      lookups: sandbox.calls('conversations.history').length,
    };
    log(`${v.name}: last card after ${(lastCardMs / 1000).toFixed(1)} s; ${outcome.refusedPosts} posts refused, ${outcome.refusedAll} calls refused in all`);
    // Before the cards: from the approvals' histories, before they are ended.
    outcome.beforeCards = await Promise.all(handles.map(async (h) => milestones(await h.fetchHistory(), start)));
    log(`${v.name}: before the cards (first / median): ${describeBeforeCards(outcome.beforeCards)}`);
    await Promise.all(handles.map((h) => h.terminate('bench finished').catch(() => undefined)));
    return outcome;
  } finally {
    for (const w of workers) await w.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'signalroom-bench-burst-'));
  process.once('exit', () => killAllChildren());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: log, log() {} };
  const bundlePath = path.join(tmp, 'prod.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quiet as never })).code);
  const dev = await startDevServer({ cliPath: await obtainTemporalCli({ log }), headless: true });
  const client = new Client({ connection: await Connection.connect({ address: dev.address }) });
  const outcomes: Outcome[] = [];
  try {
    let run = 0;
    for (const v of CHOSEN) {
      // A sandbox of its own: a full burst to start with, and only this variant's calls in its records.
      const sandbox = await startSandbox({ rateLimits: { postMessageBurst: BURST, postMessagePerSecond: PER_SECOND } });
      try {
        const slack = { apiUrl: sandbox.apiUrl, botToken: sandbox.botToken, signingSecret: sandbox.signingSecret };
        const config: WorkerProcessConfig = { address: dev.address, namespace: dev.namespace, taskQueue: PROD_QUEUE, bundlePath, slack, approverGroups: APPROVER_GROUPS };
        outcomes.push(await burst(v, client, sandbox, config, ++run));
      } finally {
        await sandbox.close();
      }
    }
  } finally {
    await client.connection.close();
    await dev.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  const floorMs = ((APPROVALS - BURST) / PER_SECOND) * 1000;
  const rows: Row[] = outcomes.map((o) => {
    const ratio = o.lastCardMs / floorMs;
    const target = o.v.name === 'paced' ? `≤ ${fmtRatio(TARGET)}` : '—';
    return {
      figure: `${APPROVALS} approvals into one channel at once, ${o.v.what}: request → last card`,
      measured: `${(o.lastCardMs / 1000).toFixed(1)} s (first card ${(o.firstCardMs / 1000).toFixed(1)} s; channel unused ${(o.idleMs / 1000).toFixed(1)} s while cards were owed); ${o.cards} cards (${o.twice} posted twice); Slack refused ${o.refusedPosts} posts (429), ${o.refusedAll} calls in all; ${o.lookups} idempotency look-ups`,
      baseline: `floor: (${APPROVALS} − ${BURST} burst) posts at ${PER_SECOND}/s = ${(floorMs / 1000).toFixed(0)} s`,
      ratio: fmtRatio(ratio),
      target,
      verdict: o.v.name === 'paced' ? (ratio <= TARGET && o.cards === APPROVALS && o.twice === 0 ? 'pass' : 'MISS') : '—',
    };
  });
  process.stdout.write(`${textTable(rows)}\n`);
  if (!process.argv.includes('--no-write')) {
    appendResults({
      title: 'approval burst against Slack\'s rate limit (bench/card-burst.ts)',
      startedMs: started,
      how: `${APPROVALS} approvals per variant, one dev server (tuned), a sandbox per variant with chat.postMessage limited to a burst of ${BURST}, then ${PER_SECOND}/s per channel, and Slack's tiers`,
      rows,
      notes: [
        'Floor: the last card cannot be posted sooner than the channel\'s limit allows, even if every card were asked for at the same instant and nothing else took time. The measured time runs from the requests to the last card in the sandbox.',
        'Channel unused: past the burst, the gaps between two accepted posts longer than 1.5 s, less the second a post may take.',
        'Idempotency look-ups: conversations.history calls, made by a post retried after a 429 or after the pacer handed it back (src/slack/pacer.ts) before it posts again.',
        ...outcomes.map((o) => `Before the cards, ${o.v.name}: each step's time after the requests, for the approval whose card came first / the median approval (from their histories): ${describeBeforeCards(o.beforeCards ?? [])}.`),
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
