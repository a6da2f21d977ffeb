/**
 * The production topology: a 2-node Temporal cluster (`signalroom cluster up`)
 * on a PostgreSQL of the test's own, two Signalroom worker processes (one on
 * each node's frontend) and the HTTP server, running incidents and approvals.
 *
 * - A Temporal node is SIGKILLed while approvals wait and runbooks run: its
 *   history shards move to the other node, clicks made meanwhile are
 *   acknowledged to Slack and applied, every run finishes, each Slack effect
 *   happens once, and the node rejoins with `cluster up`.
 * - PostgreSQL is restarted mid-run: nothing is lost.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app';
import { featureInteractionRoutes } from '../../src/server/features';
import { requestApproval } from '../../src/approvals/client';
import { openIncident } from '../../src/incidents/client';
import { loadRunbookFile } from '../../src/runbook/load';
import { APPROVE_ACTION } from '../../core/slack/blocks/approval-card';
import type { ClusterStatus } from '../../src/temporal/cluster/cluster';
import { workflowsPath } from '../../src/worker';
import { incidentResolveSignal, incidentStateQuery, incidentUpdateSignal } from '../../workflows/messages';
import type { approval } from '../../workflows/approval/workflow';
import type { incident } from '../../workflows/incident/workflow';
import { eventually } from '../support/eventually';
import { slackHarness, type SlackHarness } from '../support/slack';
import { uniqueTaskQueue } from '../support/temporal';
import { killAllWorkers, startWorkerProcess } from '../support/worker-child';
import { startTestPostgres, type TestPostgres } from './postgres';

jest.setTimeout(300_000);

const exec = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
const DEPLOYS = 'C0DEPLOYS';
const APPROVER_GROUPS = { release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } };

let pg: TestPostgres;
let dir: string;
let frontends: string[];
let h: SlackHarness;
let client: Client;
let app: FastifyInstance;
let taskQueue: string;
const workers: ChildProcess[] = [];

/** Runs the CLI as a user would, against the test's PostgreSQL. */
async function signalroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), ...args, '--data-dir', path.join(dir, 'cluster')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: pg.url },
      timeout: 300_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function status(): Promise<ClusterStatus> {
  const r = await signalroom('cluster', 'status', '--json');
  return JSON.parse(r.stdout) as ClusterStatus;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-cluster-test-'));
  pg = await startTestPostgres();
  const up = await signalroom('cluster', 'up', '--json');
  expect({ code: up.code, stderr: up.code ? up.stderr : '' }).toEqual({ code: 0, stderr: '' });
  frontends = (JSON.parse(up.stdout) as { frontends: string[] }).frontends;
  expect(frontends).toHaveLength(2);

  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  h = await slackHarness({ approverGroups: APPROVER_GROUPS }, { latencyMs: 50, interactivityTimeoutMs: 30_000 });
  taskQueue = uniqueTaskQueue('cluster');
  // One worker on each node's frontend.
  for (const temporalAddress of frontends) {
    workers.push(await startWorkerProcess({ taskQueue, sandbox: h.sandbox, approverGroups: APPROVER_GROUPS, temporalAddress, workflowBundle: bundlePath }));
  }
  // The server and the test's client use node 2's frontend, which stays up.
  client = new Client({ connection: await Connection.connect({ address: frontends[1] }), namespace: 'default' });
  app = await buildServer({
    temporal: client,
    logger: false,
    slack: { integrations: h.integrations },
    interactionRoutes: featureInteractionRoutes(),
    delivery: { deliverForMs: 120_000, maxBackoffMs: 1000 },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  h.sandbox.setRequestUrl(`${url}/slack/interactions`);
}, 600_000);

afterAll(async () => {
  await killAllWorkers();
  await app?.close();
  await client?.connection.close();
  await h?.close();
  if (dir) await signalroom('cluster', 'down');
  pg?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function startRuns(batch: string, incidents: number, approvals: number) {
  const runbook = (await loadRunbookFile(path.join(ROOT, 'test/fixtures/runbooks/incidents/crash.yaml'))).runbook!;
  const incidentHandles: Array<WorkflowHandle<typeof incident>> = [];
  for (let i = 0; i < incidents; i++) {
    incidentHandles.push(await openIncident(client, runbook, { 'incident.id': `CL-${batch}-${i}`.toUpperCase(), 'incident.severity': 'SEV1', 'incident.service': 'checkout' }, taskQueue));
  }
  const approvalRuns: Array<{ execution: string; handle: WorkflowHandle<typeof approval>; ts: string }> = [];
  for (let i = 0; i < approvals; i++) {
    const execution = `cl-${batch}-${i}`;
    const handle = await requestApproval(
      client,
      { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release', 'sre'], minApprovals: 2, timeout: '10m', destination: { channel: '#deploys' } },
      taskQueue,
    );
    approvalRuns.push({ execution, handle, ts: '' });
  }
  // Approvals wait on their cards.
  for (const run of approvalRuns) {
    run.ts = (await eventually(`the card of ${run.execution}`, () => h.sandbox.messages(DEPLOYS).find((m) => !m.threadTs && m.text.includes(`(${run.execution})`)), 90_000)).ts;
  }
  return { incidents: incidentHandles, approvals: approvalRuns };
}

/** The people click (two approvals each) and the responders update and resolve; resolves to each click's acknowledgement. */
async function actOn(runs: Awaited<ReturnType<typeof startRuns>>): Promise<number[]> {
  const clicks = runs.approvals.flatMap(({ ts }) =>
    ['U0CAROL', 'U0ALICE'].map(async (userId) => (await h.sandbox.click({ userId, channelId: DEPLOYS, messageTs: ts, actionId: APPROVE_ACTION })).response.status ?? -1),
  );
  const responders = runs.incidents.map(async (handle) => {
    await eventually(`${handle.workflowId} to open`, async () => (await handle.query(incidentStateQuery).catch(() => undefined))?.status === 'open', 120_000, 500);
    await handle.signal(incidentUpdateSignal, { text: 'Mitigated' });
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
  });
  const acks = await Promise.all(clicks);
  await Promise.all(responders);
  return acks;
}

/** Every run finished as it should, and every Slack effect is in the sandbox exactly once. */
async function expectAllFinishedOnce(runs: Awaited<ReturnType<typeof startRuns>>): Promise<void> {
  for (const { execution, handle, ts } of runs.approvals) {
    const r = await handle.result();
    expect({ execution, status: r.status, decided: r.decisions.map((d) => d.user.id).sort() }).toEqual({ execution, status: 'approved', decided: ['U0ALICE', 'U0CAROL'] });
    const cards = h.sandbox.messages(DEPLOYS).filter((m) => !m.threadTs && m.text.includes(`(${execution})`));
    expect(cards.map((c) => c.ts)).toEqual([ts]);
    expect(cards[0].text).toContain('Approved');
    expect(JSON.stringify(cards[0].blocks)).not.toContain('"actions"');
  }
  for (const handle of runs.incidents) {
    const r = await handle.result();
    const id = r.incident.id!;
    expect({ id, status: r.status, errors: r.timeline.filter((e) => e.kind === 'error') }).toEqual({ id, status: 'resolved', errors: [] });
    const name = `incident-${id.toLowerCase()}`;
    expect(h.sandbox.calls('conversations.create').filter((c) => c.args.name === name && c.ok)).toHaveLength(1);
    const channel = h.sandbox.channelByName(name)!;
    const texts = h.sandbox.messages(channel.id).map((m) => m.text);
    expect({ id, duplicates: texts.filter((t, n) => texts.indexOf(t) !== n) }).toEqual({ id, duplicates: [] });
    expect(texts).toEqual(expect.arrayContaining(['🚨 SEV1 incident detected in checkout', 'Responders: the first assessment is due', `Incident ${id} resolved`]));
    expect(h.sandbox.replies(channel.id, r.threadTs!).map((m) => m.text)).toEqual([':memo: *Update 1*: Mitigated']);
    expect(channel.archived).toBe(true);
  }
}

test('the cluster is up: two nodes serving, each in the ring, the history shards shared between them', async () => {
  const s = await eventually('both nodes to own shards', async () => {
    const st = await status();
    return st.nodes.every((n) => n.serving && n.shards.length > 0) ? st : undefined;
  }, 60_000, 1000);
  expect(s.nodes.map((n) => n.shards.length).reduce((a, b) => a + b)).toBe(16);
  expect(s.members.history).toHaveLength(2);
  expect(s.members.frontend).toHaveLength(2);
});

test('a Temporal node SIGKILLed while approvals wait and runbooks run: clicks during the shard movement are applied, every run finishes, each Slack effect once, and the node rejoins', async () => {
  const batch = Date.now().toString(36);
  const runs = await startRuns(batch, 3, 4);
  const before = await status();
  const victim = before.nodes[0];
  expect(victim.shards.length).toBeGreaterThan(0);

  process.kill(victim.pid!, 'SIGKILL');
  // Clicks and signals go in at once, while the dead node's shards move to the survivor.
  const acks = await actOn(runs);
  expect(acks).toEqual(runs.approvals.flatMap(() => [200, 200]));
  await expectAllFinishedOnce(runs);

  const alone = await eventually('the survivor to own every shard', async () => {
    const st = await status();
    return st.nodes[1].shards.length === 16 ? st : undefined;
  }, 120_000, 1000);
  expect(alone.nodes[0]).toMatchObject({ running: false, serving: false, shards: [] });

  // The node rejoins on its ports and takes back its share.
  const up = await signalroom('cluster', 'up');
  expect(up.code).toBe(0);
  expect(up.stdout).toContain(`Starting Temporal ${victim.name}`);
  const rejoined = await eventually('the rejoined node to own shards again', async () => {
    const st = await status();
    return st.nodes.every((n) => n.serving && n.shards.length > 0) ? st : undefined;
  }, 120_000, 1000);
  expect(rejoined.members.history).toHaveLength(2);

  // And the cluster keeps working with it: a new approval, decided by clicks.
  const after = await startRuns(`${batch}r`, 1, 1);
  expect(await actOn(after)).toEqual([200, 200]);
  await expectAllFinishedOnce(after);
});

test('PostgreSQL restarted mid-run: nothing is lost', async () => {
  const runs = await startRuns(Date.now().toString(36), 2, 2);
  pg.restart();
  const acks = await actOn(runs);
  expect(acks).toEqual(runs.approvals.flatMap(() => [200, 200]));
  await expectAllFinishedOnce(runs);
  const s = await eventually('both nodes serving after the restart', async () => {
    const st = await status();
    return st.nodes.every((n) => n.serving) ? st : undefined;
  }, 60_000, 1000);
  expect(s.nodes.map((n) => n.running)).toEqual([true, true]);
});

test('cluster up against a PostgreSQL that does not answer exits 1, naming it and DATABASE_URL', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-cluster-unreachable-'));
  const r = await exec(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'cluster', 'up', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  rmSync(dataDir, { recursive: true, force: true });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('Cannot reach PostgreSQL at 127.0.0.1:1 as postgres');
  expect(r.stderr).toContain('DATABASE_URL');
});
