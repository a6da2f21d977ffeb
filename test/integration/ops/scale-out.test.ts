/**
 * Two `signalroom worker` processes on one task queue, as an operator runs
 * them: both take a batch of incidents and nothing runs twice; then one is
 * stopped with SIGTERM in the middle of a batch, exits 0, and the other
 * finishes everything.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { openIncident } from '../../../src/incidents/client';
import { loadRunbookFile } from '../../../src/runbook/load';
import type { Runbook } from '../../../core/runbook/types';
import type { Sandbox } from '../../../src/sandbox';
import { incidentStateQuery } from '../../../workflows/messages';
import { testClient, testNamespace, uniqueTaskQueue } from '../../support/temporal';
import { testSandbox } from '../../support/slack';
import { eventually, sandboxConfigYaml, spawnSignalroom, type SignalroomProcess } from '../../support/ops';

const root = path.resolve(__dirname, '../../..');
const BATCH = 12;

interface WorkerProcess extends SignalroomProcess {
  identity: string;
}

let sandbox: Sandbox;
let client: Client;
let runbook: Runbook;
let dir: string;
const taskQueue = uniqueTaskQueue('scale-out');
const workers: WorkerProcess[] = [];

function startWorkerProcess(): WorkerProcess {
  const run = spawnSignalroom(['worker'], dir, { SIGNALROOM_TASK_QUEUE: taskQueue });
  const w: WorkerProcess = { ...run, identity: `signalroom-worker@${os.hostname()}:${run.child.pid}` };
  workers.push(w);
  return w;
}

/** Identities of the workers polling the queue for workflow tasks and for activities. */
async function pollers(): Promise<{ workflow: string[]; activity: string[] }> {
  const describe = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
    (await client.workflowService.describeTaskQueue({ namespace: testNamespace(), taskQueue: { name: taskQueue }, taskQueueType })).pollers?.map((p) => p.identity ?? '') ?? [];
  return {
    workflow: await describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
    activity: await describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
  };
}

interface WhoDidWhat {
  /**
   * Who ran this incident's activities, one entry per attempt. A regular activity names its worker in
   * its started event; a local one (a runbook's Slack step, docs/ARCHITECTURE.md) ran in the worker
   * whose workflow task recorded its result, and its marker carries its attempt.
   */
  activityRuns: Array<{ identity: string; attempt: number; type: string; local: boolean }>;
  /** Identities that completed its workflow tasks. */
  workflowTasks: string[];
}

async function whoDidWhat(workflowId: string): Promise<WhoDidWhat> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const result: WhoDidWhat = { activityRuns: [], workflowTasks: [] };
  let taskBy = '';
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started) result.activityRuns.push({ identity: started.identity ?? '', attempt: started.attempt ?? 0, type: scheduled.get(String(started.scheduledEventId)) ?? '', local: false });
    if (e.workflowTaskCompletedEventAttributes) {
      taskBy = e.workflowTaskCompletedEventAttributes.identity ?? '';
      result.workflowTasks.push(taskBy);
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = JSON.parse(Buffer.from(marker.details!.data!.payloads![0]!.data!).toString('utf8')) as { attempt: number; activity_type: string };
      result.activityRuns.push({ identity: taskBy, attempt: data.attempt, type: data.activity_type, local: true });
    }
  }
  return result;
}

let seq = 0;
async function openBatch(label: string): Promise<string[]> {
  const ids = Array.from({ length: BATCH }, () => `SCALE-${label}-${Date.now().toString(36)}-${++seq}`);
  await Promise.all(
    ids.map((id) => openIncident(client, runbook, { 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'checkout', 'incident.description': `scale-out ${id}` }, taskQueue)),
  );
  return ids;
}

async function allOpen(ids: string[], timeoutMs: number): Promise<void> {
  await eventually(
    `all ${ids.length} incidents to be open`,
    async () => {
      const states = await Promise.all(ids.map((id) => client.workflow.getHandle(`incident-${id}`).query(incidentStateQuery)));
      return states.every((s) => s.status === 'open');
    },
    timeoutMs,
    250,
  );
}

/** Exactly one channel, one notification and one updates thread per incident: what responders see in Slack. */
function expectSlackOnce(ids: string[]): void {
  const created = sandbox.calls('conversations.create').filter((c) => c.ok);
  for (const id of ids) {
    const name = `incident-${id.toLowerCase()}`;
    expect({ id, channelsCreated: created.filter((c) => c.args.name === name).length }).toEqual({ id, channelsCreated: 1 });
    const channel = sandbox.channelByName(name)!;
    const top = sandbox.messages(channel.id).filter((m) => !m.threadTs || m.threadTs === m.ts);
    expect({ id, messages: top.map((m) => m.text) }).toEqual({ id, messages: ['🚨 SEV2 incident detected in checkout', `Updates for incident ${id}`] });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-scale-out-'));
  sandbox = await testSandbox();
  writeFileSync(path.join(dir, 'signalroom.yaml'), sandboxConfigYaml(sandbox));
  client = await testClient();
  const loaded = await loadRunbookFile(path.join(root, 'runbooks/seed-example.yaml'));
  expect(loaded.problems).toEqual([]);
  runbook = loaded.runbook!;
});

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await client?.connection.close();
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two worker processes share a batch of incidents; one stops mid-batch and the other finishes it', async () => {
  const [a, b] = [startWorkerProcess(), startWorkerProcess()];
  await eventually(
    'both workers to poll the task queue',
    async () => {
      if (a.child.exitCode !== null || b.child.exitCode !== null) throw new Error(`a worker exited:\n${a.output()}\n${b.output()}`);
      const p = await pollers();
      return [a, b].every((w) => p.workflow.includes(w.identity) && p.activity.includes(w.identity));
    },
    25_000,
    250,
  );

  // Batch 1, both workers up: both take work, every activity runs once, Slack sees everything once.
  const first = await openBatch('a');
  await allOpen(first, 90_000);
  const firstWork = await Promise.all(first.map((id) => whoDidWhat(`incident-${id}`)));
  const activityIdentities = new Set(firstWork.flatMap((w) => w.activityRuns.map((s) => s.identity)));
  const workflowIdentities = new Set(firstWork.flatMap((w) => w.workflowTasks));
  expect([...activityIdentities].sort()).toEqual([a.identity, b.identity].sort());
  expect([...workflowIdentities].every((i) => i === a.identity || i === b.identity)).toBe(true);
  expect(firstWork.flatMap((w) => w.activityRuns).filter((s) => s.attempt !== 1)).toEqual([]);
  // The runbook's Slack steps ran as local activities, each in the worker that ran the incident's task
  // (the notification and the thread, two posts in a row, by one).
  expect(firstWork.flatMap((w) => w.activityRuns.filter((r) => r.local).map((r) => r.type)).sort()).toEqual(
    first.flatMap(() => ['resolveIntegration', 'incidentHoldScopes', 'createChannel', 'inviteUsers', 'postMessages']).sort(),
  );
  expectSlackOnce(first);

  // Batch 2: worker A gets SIGTERM as soon as the batch is under way.
  const second = await openBatch('b');
  await eventually('batch 2 to be under way', () => second.some((id) => sandbox.channelByName(`incident-${id.toLowerCase()}`)), 20_000, 20);
  a.child.kill('SIGTERM');
  const exit = await Promise.race([a.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
  expect({ exit, output: exit === 'still running' || exit.code !== 0 ? a.output() : '' }).toEqual({ exit: { code: 0, signal: null }, output: '' });

  // B alone finishes every incident of the batch, still once each in Slack.
  await allOpen(second, 90_000);
  expectSlackOnce(second);
  const secondWork = await Promise.all(second.map((id) => whoDidWhat(`incident-${id}`)));
  const identities = new Set(secondWork.flatMap((w) => [...w.activityRuns.map((s) => s.identity), ...w.workflowTasks]));
  expect([...identities].every((i) => i === a.identity || i === b.identity)).toBe(true);
  expect(identities.has(b.identity)).toBe(true);
  // Whatever A was in the middle of, B carried on: every incident A touched in batch 2 that A did not finish opening
  // was opened by B (A's cached workflows were handed back to the queue when it stopped).
  const handedOver = secondWork.filter((w) => w.workflowTasks.includes(a.identity) && w.workflowTasks.includes(b.identity));
  expect(handedOver.length + secondWork.filter((w) => !w.workflowTasks.includes(a.identity)).length).toBeGreaterThan(0);

  for (const id of [...first, ...second]) await client.workflow.getHandle(`incident-${id}`).terminate('scale-out test finished');
  b.child.kill('SIGTERM');
  expect(await b.exited).toEqual({ code: 0, signal: null });
}, 240_000);
