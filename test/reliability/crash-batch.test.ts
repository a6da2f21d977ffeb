/**
 * A batch of incidents and approvals while the worker is SIGKILLed at random
 * points and started again. Clicks go through the real server the whole time,
 * dead worker or not. Every run must finish, every Slack effect must be in
 * the sandbox exactly once, and every click must be in the approval's record.
 *
 * Slack answers after 150 ms (the sandbox applies each call at once and
 * answers later), so a kill lands on Slack calls in flight, the lost-response
 * case, and the test checks from the histories that some did.
 *
 * The kill times and each approval's click pauses come from their own seeded
 * generators: a failure names the seed, and SIGNALROOM_CHAOS_SEED=<seed> runs
 * the same schedule again (the moments hit still depend on the machine).
 */
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { ChildProcess } from 'node:child_process';
import { buildServer } from '../../src/server/app';
import { featureInteractionRoutes } from '../../src/server/features';
import { requestApproval } from '../../src/approvals/client';
import { openIncident } from '../../src/incidents/client';
import { loadRunbookFile } from '../../src/runbook/load';
import { APPROVE_ACTION } from '../../core/slack/blocks/approval-card';
import { incidentResolveSignal, incidentStateQuery, incidentUpdateSignal } from '../../workflows/messages';
import type { approval } from '../../workflows/approval/workflow';
import type { incident } from '../../workflows/incident/workflow';
import { eventually } from '../support/eventually';
import { slackHarness, type SlackHarness } from '../support/slack';
import { testClient, uniqueTaskQueue } from '../support/temporal';
import { killAllWorkers, killWorker, startWorkerProcess } from '../support/worker-child';

jest.setTimeout(240_000);

const INCIDENTS = 4;
const APPROVALS = 6;
const KILLS = 4;
const DEPLOYS = 'C0DEPLOYS';
const APPROVER_GROUPS = { release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } };

/** mulberry32: a small seeded generator, so a failing schedule can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: SlackHarness;
let client: Client;
let app: FastifyInstance;

beforeAll(async () => {
  // Slack is not on loopback: every answer takes 150 ms. Clicks may wait on a busy server for longer than Slack's 3 s.
  h = await slackHarness({ approverGroups: APPROVER_GROUPS }, { latencyMs: 150, interactivityTimeoutMs: 30_000 });
  client = await testClient();
  app = await buildServer({
    temporal: client,
    logger: false,
    slack: { integrations: h.integrations },
    interactionRoutes: featureInteractionRoutes(),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  h.sandbox.setRequestUrl(`${url}/slack/interactions`);
});
afterAll(async () => {
  await killAllWorkers();
  await app?.close();
  await client?.connection.close();
  await h?.close();
});

test('incidents and approvals under random SIGKILLs of the worker: all finish, each Slack effect once, no click lost', async () => {
  const seed = Number(process.env.SIGNALROOM_CHAOS_SEED ?? Date.now() % 1_000_000_007);
  try {
    await crashBatch(seed);
  } catch (err) {
    (err as Error).message += `\n\n(chaos seed ${seed}: SIGNALROOM_CHAOS_SEED=${seed} npx jest test/reliability/crash-batch runs this schedule again)`;
    throw err;
  }
});

async function crashBatch(seed: number): Promise<void> {
  const killSchedule = seeded(seed);
  const { sandbox } = h;
  const taskQueue = uniqueTaskQueue('crash-batch');
  const runbook = (await loadRunbookFile(path.join(__dirname, '../fixtures/runbooks/incidents/crash.yaml'))).runbook!;
  const batch = `${Date.now().toString(36)}`;
  let worker: ChildProcess = await startWorkerProcess({ taskQueue, sandbox, approverGroups: APPROVER_GROUPS });

  const incidents: Array<WorkflowHandle<typeof incident>> = [];
  for (let i = 0; i < INCIDENTS; i++) {
    const id = `CB-${batch}-${i}`.toUpperCase();
    incidents.push(await openIncident(client, runbook, { 'incident.id': id, 'incident.severity': 'SEV1', 'incident.service': 'checkout' }, taskQueue));
  }
  const approvals: Array<{ execution: string; handle: WorkflowHandle<typeof approval> }> = [];
  for (let i = 0; i < APPROVALS; i++) {
    const execution = `cb-${batch}-${i}`;
    const handle = await requestApproval(
      client,
      { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release', 'sre'], minApprovals: 2, timeout: '10m', destination: { channel: '#deploys' } },
      taskQueue,
    );
    approvals.push({ execution, handle });
  }

  // The chaos: kill at random points while the runs are under way, restart after a random pause.
  const unfinishedAtKill: number[] = [];
  const chaos = (async () => {
    for (let k = 0; k < KILLS; k++) {
      await sleep(300 + killSchedule() * 1500);
      const open = await Promise.all([...incidents, ...approvals.map((a) => a.handle)].map(async (handle) => (await handle.describe()).status.name === 'RUNNING'));
      unfinishedAtKill.push(open.filter(Boolean).length);
      if (k === 0) {
        // The first kill lands while a Slack call is in flight (Slack answers after 150 ms), so the proof
        // below that a kill cut a call off mid-flight does not depend on how busy the machine is.
        const seen = sandbox.calls().length;
        for (let waited = 0; waited < 5000 && sandbox.calls().length === seen; waited += 5) await sleep(5);
      }
      await killWorker(worker);
      await sleep(killSchedule() * 1000);
      worker = await startWorkerProcess({ taskQueue, sandbox, approverGroups: APPROVER_GROUPS });
    }
  })();

  // The people: each approval gets an outsider's click, an approval, the same person again, and the deciding approval.
  const clicks = approvals.map(async ({ execution }, i) => {
    const pauses = seeded(seed + 1 + i);
    const card = await eventually(`the card of ${execution}`, () => sandbox.messages(DEPLOYS).find((m) => !m.threadTs && m.text.includes(`(${execution})`)), 60_000);
    const acks: number[] = [];
    const responseUrls: string[] = [];
    for (const userId of ['U0ERIN', 'U0CAROL', 'U0CAROL', 'U0ALICE']) {
      await sleep(pauses() * 400);
      const click = await sandbox.click({ userId, channelId: DEPLOYS, messageTs: card.ts, actionId: APPROVE_ACTION });
      acks.push(click.response.status ?? -1);
      responseUrls.push(click.responseUrl);
    }
    return { execution, ts: card.ts, acks, responseUrls };
  });
  // The responders: an update and a resolve once each incident is open (queries need a live worker, so retry).
  const responders = incidents.map(async (handle) => {
    await eventually(`${handle.workflowId} to open`, async () => (await handle.query(incidentStateQuery).catch(() => undefined))?.status === 'open', 90_000);
    await handle.signal(incidentUpdateSignal, { text: 'The worker came back' });
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
  });

  await chaos;
  const clicked = await Promise.all(clicks);
  await Promise.all(responders);
  const approvalResults = await Promise.all(approvals.map((a) => a.handle.result()));
  const incidentResults = await Promise.all(incidents.map((i) => i.result()));
  await killWorker(worker);

  // The kills hit work in progress: runs still going, and Slack calls cut off mid-flight. A regular
  // activity cut off is retried on another attempt; a runbook's Slack steps run as local activities
  // (docs/ARCHITECTURE.md), and a workflow task cut off with them times out and runs them again.
  expect(unfinishedAtKill).toHaveLength(KILLS);
  expect(unfinishedAtKill[0]).toBeGreaterThan(0);
  const retried: string[] = [];
  for (const handle of [...incidents, ...approvals.map((a) => a.handle)]) {
    const history = await handle.fetchHistory();
    for (const e of history.events ?? []) {
      const started = e.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1) retried.push(`${handle.workflowId} attempt ${started.attempt}`);
      if (e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes) retried.push(`${handle.workflowId} workflow task ${e.eventId} lost`);
    }
  }
  expect(retried.length).toBeGreaterThan(0);

  // Approvals: every click answered 200 and in the record; one card each, final and truthful.
  for (const [i, r] of approvalResults.entries()) {
    const { execution, ts, acks, responseUrls } = clicked[i];
    expect({ execution, acks }).toEqual({ execution, acks: [200, 200, 200, 200] });
    // Every click was answered through its own response_url (at least once: see below).
    expect({ execution, unanswered: responseUrls.filter((url) => sandbox.responseUrlUses(url) === 0) }).toEqual({ execution, unanswered: [] });
    expect({ execution, status: r.status, decided: r.decisions.map((d) => d.user.id) }).toEqual({ execution, status: 'approved', decided: ['U0CAROL', 'U0ALICE'] });
    expect(r.refused.map((x) => x.user.id).sort()).toEqual(['U0CAROL', 'U0ERIN']);
    const cards = sandbox.messages(DEPLOYS).filter((m) => !m.threadTs && m.text.includes(`(${execution})`));
    expect(cards.map((c) => c.ts)).toEqual([ts]);
    expect(cards[0].text).toContain('Approved');
    expect(JSON.stringify(cards[0].blocks)).not.toContain('"actions"');
  }
  // (Replies through response_url are at least once, not exactly once: Slack offers no way to look one up.)

  // Incidents: one channel each, every message once, the update in the thread, archived.
  for (const [i, r] of incidentResults.entries()) {
    const id = r.incident.id!;
    expect({ id, status: r.status, errors: r.timeline.filter((e) => e.kind === 'error') }).toEqual({ id, status: 'resolved', errors: [] });
    const name = `incident-${id.toLowerCase()}`;
    expect(sandbox.calls('conversations.create').filter((c) => c.args.name === name && c.ok)).toHaveLength(1);
    const channel = sandbox.channelByName(name)!;
    const texts = sandbox.messages(channel.id).map((m) => m.text);
    expect({ id, duplicates: texts.filter((t, n) => texts.indexOf(t) !== n) }).toEqual({ id, duplicates: [] });
    expect(texts).toEqual(
      expect.arrayContaining(['🚨 SEV1 incident detected in checkout', 'Responders: the first assessment is due', `Updates for incident ${id}`, `Incident ${id} resolved`]),
    );
    expect(sandbox.replies(channel.id, r.threadTs!).map((m) => m.text)).toEqual([':memo: *Update 1*: The worker came back']);
    expect(channel.archived).toBe(true);
    expect(incidents[i].workflowId).toContain(id);
  }
}
