/**
 * `signalroom worker --metrics-port`: what Prometheus scrapes from a worker
 * process while it runs an incident against the sandbox, and the errors an
 * operator gets for a port it cannot use.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { openIncident } from '../../../src/incidents/client';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import type { CallRecord } from '../../../src/sandbox/web-api';
import { freePort } from '../../../src/temporal/free-port';
import { incidentStateQuery } from '../../../workflows/messages';
import { runbookFrom, uniqueIncidentId } from '../../support/incidents';
import { testClient, uniqueTaskQueue } from '../../support/temporal';
import { eventually, sandboxConfigYaml, spawnSignalroom, type SignalroomProcess } from '../../support/ops';

let sandbox: Sandbox;
let client: Client;
let dir: string;
const children: ChildProcess[] = [];

type Run = SignalroomProcess;

function runSignalroom(args: string[], extraEnv: Record<string, string> = {}): Run {
  const run = spawnSignalroom(args, dir, extraEnv);
  children.push(run.child);
  return run;
}

/** What an exited command printed and returned, or 'still running' after the timeout. */
async function outcome(run: Run, timeoutMs = 20_000) {
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([run.exited, new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), timeoutMs)))]);
  clearTimeout(timer);
  return { exit, output: run.output() };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

async function scrape(port: number): Promise<{ contentType: string; samples: Sample[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type') ?? '', samples: parseExposition(await res.text()) };
}

/** Calls by `method outcome`, as the sandbox saw them answered. */
function sandboxOutcomes(calls: CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) {
    const key = `${c.method} ${c.status === 429 ? 'rate_limited' : c.ok ? 'ok' : c.error}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Slack calls by `method outcome` for one integration, as the worker's metrics count them. */
function metricOutcomes(samples: Sample[], integration: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === 'signalroom_slack_calls_total' && s.labels.integration === integration) out[`${s.labels.method} ${s.labels.outcome}`] = s.value;
  return out;
}

function sortedKeys(counts: Record<string, number>): Array<[string, number]> {
  return Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
}

/** Holds a port, so a worker asked to serve there cannot. */
async function occupiedPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-worker-metrics-'));
  sandbox = await startSandbox({ rateLimits: false });
  writeFileSync(path.join(dir, 'signalroom.yaml'), sandboxConfigYaml(sandbox));
  client = await testClient();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  await client?.connection.close();
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a worker with --metrics-port serves the SDK metrics and every Slack call by integration, method and outcome, with the Retry-After of a 429', async () => {
  const taskQueue = uniqueTaskQueue('worker-metrics');
  const port = await freePort('0.0.0.0');
  // The flag wins over the environment: the environment names a port that is taken.
  const taken = await occupiedPort();
  const worker = runSignalroom(['worker', '--metrics-port', String(port)], { SIGNALROOM_TASK_QUEUE: taskQueue, SIGNALROOM_WORKER_METRICS_PORT: String(taken.port) });
  try {
    await eventually(
      'the worker to serve /metrics',
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
        return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok, () => false);
      },
      30_000,
      250,
    );

    // The first message is answered 429 (Retry-After 2); the second goes to a channel that does not exist.
    sandbox.faults.inject('chat.postMessage', { kind: '429', retryAfterSeconds: 2 });
    const runbook = runbookFrom(`
name: worker-metrics
inputs: [incident.id]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
  - Operation: Send Message
    Message: "Incident [incident.id] is open"
  - Operation: Send Message
    Channel: "C0NOSUCHCHANNEL"
    Message: "Nobody reads this"
`);
    const id = uniqueIncidentId('METRICS');
    const handle = await openIncident(client, runbook, { 'incident.id': id }, taskQueue);
    const state = await eventually(
      'the runbook to finish its steps',
      async () => {
        const s = await handle.query(incidentStateQuery);
        return s.timeline.some((e) => e.kind === 'error') && s;
      },
      60_000,
      250,
    );
    expect(state.timeline.filter((e) => e.kind === 'error').map((e) => e.text)).toEqual([expect.stringContaining('channel_not_found')]);
    const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
    expect(sandbox.messages(channel.id).map((m) => m.text)).toEqual([`Incident ${id} is open`]);

    const seen = sandboxOutcomes(sandbox.calls());
    expect(seen).toEqual(expect.objectContaining({ 'chat.postMessage rate_limited': 1, 'chat.postMessage channel_not_found': 1, 'conversations.create ok': 1 }));
    // Every call the sandbox answered is counted once, under the organization integration, with its outcome.
    const scraped = await eventually(
      'the metrics to count every call the sandbox answered',
      async () => {
        const s = await scrape(port);
        return JSON.stringify(sortedKeys(metricOutcomes(s.samples, 'organization'))) === JSON.stringify(sortedKeys(seen)) ? s : undefined;
      },
      10_000,
      250,
    ).catch(async (err) => {
      expect(metricOutcomes((await scrape(port)).samples, 'organization')).toEqual(seen);
      throw err;
    });
    expect(scraped.contentType).toMatch(/^text\/plain/);
    const { samples } = scraped;
    const of = (name: string, labels: Record<string, string>) => samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(of('signalroom_slack_calls_total', { method: 'chat.postMessage' }).map((s) => ({ ...s.labels, value: s.value }) as Record<string, string | number>).sort((a, b) => String(a.outcome).localeCompare(String(b.outcome)))).toEqual([
      { integration: 'organization', method: 'chat.postMessage', outcome: 'channel_not_found', value: 1 },
      { integration: 'organization', method: 'chat.postMessage', outcome: 'ok', value: 1 },
      { integration: 'organization', method: 'chat.postMessage', outcome: 'rate_limited', value: 1 },
    ]);
    // The Retry-After Slack sent: one rate-limited call, 2 seconds.
    const retry = { integration: 'organization', method: 'chat.postMessage' };
    expect(of('signalroom_slack_retry_after_seconds_count', retry).map((s) => s.value)).toEqual([1]);
    expect(of('signalroom_slack_retry_after_seconds_sum', retry).map((s) => s.value)).toEqual([2]);
    expect(of('signalroom_slack_retry_after_seconds_bucket', { ...retry, le: '1' }).map((s) => s.value)).toEqual([0]);
    expect(of('signalroom_slack_retry_after_seconds_bucket', { ...retry, le: '2' }).map((s) => s.value)).toEqual([1]);

    // The Temporal SDK's own metrics, for this worker's task queue. A runbook's Slack steps run as local
    // activities (docs/ARCHITECTURE.md, "The path of a runbook step"), counted under temporal_local_activity_*:
    // the two posts in a row tried together (postMessages, which the 429 stopped), then one by one after
    // the Retry-After (postMessage: ok, then channel_not_found); no regular activity ran.
    const sdk = (name: string, activityType: string) => of(name, { task_queue: taskQueue, activity_type: activityType }).reduce((n, s) => n + s.value, 0);
    expect({
      createChannel: sdk('temporal_local_activity_execution_latency_count', 'createChannel'),
      postMessages: sdk('temporal_local_activity_execution_latency_count', 'postMessages'),
      postMessage: sdk('temporal_local_activity_execution_latency_count', 'postMessage'),
      postMessageFailed: sdk('temporal_local_activity_execution_failed', 'postMessage'),
      regular: of('temporal_activity_execution_latency_count', { task_queue: taskQueue }).reduce((n, s) => n + s.value, 0),
    }).toEqual({ createChannel: 1, postMessages: 1, postMessage: 2, postMessageFailed: 1, regular: 0 });
    expect(of('temporal_worker_task_slots_available', { task_queue: taskQueue, worker_type: 'ActivityWorker' }).map((s) => s.value)).toEqual([100]);
    expect(of('temporal_worker_task_slots_available', { task_queue: taskQueue, worker_type: 'LocalActivityWorker' }).map((s) => s.value)).toEqual([100]);

    await handle.terminate('worker metrics test finished');
    worker.child.kill('SIGTERM');
    expect(await outcome(worker)).toEqual({ exit: { code: 0, signal: null }, output: expect.any(String) });
  } finally {
    await taken.close();
  }
}, 120_000);

test('SIGNALROOM_WORKER_METRICS_PORT is used without the flag; a port in use is named in a clear error', async () => {
  const taken = await occupiedPort();
  try {
    const worker = runSignalroom(['worker'], { SIGNALROOM_WORKER_METRICS_PORT: String(taken.port) });
    const result = await outcome(worker);
    expect(result.exit).toEqual({ code: 70, signal: null });
    expect(result.output).toContain(`signalroom: cannot serve worker metrics on 127.0.0.1:${taken.port}: Failed to start prometheus metrics exporter: Address already in use`);
  } finally {
    await taken.close();
  }
});

test.each([
  ['--metrics-port', 'abc', "error: option '--metrics-port <port>' argument 'abc' is invalid. not a port number between 1 and 65535: abc", 64],
  ['--metrics-port', '0', "error: option '--metrics-port <port>' argument '0' is invalid. not a port number between 1 and 65535: 0", 64],
  ['--metrics-port', '70000', "error: option '--metrics-port <port>' argument '70000' is invalid. not a port number between 1 and 65535: 70000", 64],
])('signalroom worker %s %s is refused with a clear error before anything starts', async (flag, value, message, code) => {
  const result = await outcome(runSignalroom(['worker', flag, value]));
  expect(result.exit).toEqual({ code, signal: null });
  expect(result.output).toContain(message);
});

test('a bad SIGNALROOM_WORKER_METRICS_PORT is refused naming the variable and its value', async () => {
  const result = await outcome(runSignalroom(['worker'], { SIGNALROOM_WORKER_METRICS_PORT: 'ninety' }));
  expect(result.exit).toEqual({ code: 70, signal: null });
  expect(result.output).toMatch(/Invalid environment variable\(s\):\n\s+SIGNALROOM_WORKER_METRICS_PORT: .+ \(got "ninety"\)/);
});

/** An address of this machine that is not loopback, where a service bound to every interface answers. */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

const answers = (host: string, port: number) => fetch(`http://${host}:${port}/metrics`).then((r) => r.ok, () => false);

test('the metrics are served on loopback unless --metrics-host says otherwise: another interface gets no answer', async () => {
  const outside = outsideAddress();
  expect(outside).toBeDefined();
  const port = await freePort('0.0.0.0');
  const worker = runSignalroom(['worker', '--metrics-port', String(port)], { SIGNALROOM_TASK_QUEUE: uniqueTaskQueue('metrics-host') });
  try {
    await eventually('the worker to serve /metrics on loopback', async () => {
      if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
      return answers('127.0.0.1', port);
    }, 30_000, 250);
    expect(await answers(outside!, port)).toBe(false);
  } finally {
    worker.child.kill('SIGTERM');
    await outcome(worker);
  }
  // Compose's way: every interface of the container, inside its own network.
  const open = await freePort('0.0.0.0');
  const everywhere = runSignalroom(['worker', '--metrics-port', String(open), '--metrics-host', '0.0.0.0'], { SIGNALROOM_TASK_QUEUE: uniqueTaskQueue('metrics-host') });
  try {
    await eventually('the worker to serve /metrics on every interface', async () => {
      if (everywhere.child.exitCode !== null) throw new Error(`the worker exited:\n${everywhere.output()}`);
      return answers(outside!, open);
    }, 30_000, 250);
  } finally {
    everywhere.child.kill('SIGTERM');
    await outcome(everywhere);
  }
}, 90_000);
