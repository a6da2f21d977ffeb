/**
 * Continue as new hands everything over: updates and severity changes that
 * arrive while the workflow is about to continue as new are applied in the
 * next run, each exactly once. The history limit is an input, so these tests
 * make every wake-up end in continue-as-new and signals land in that window,
 * or, with no worker polling, all in one wake-up.
 */
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { incidentWorkflowId } from '../../../src/incidents/errors';
import type { incident } from '../../../workflows/incident/workflow';
import { incidentResolveSignal, incidentSeveritySignal, incidentStateQuery, incidentUpdateSignal } from '../../../workflows/messages';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { eventually, incidentSlack, messagesWith, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

let slack: IncidentSlack;
let client: Client;
let w: TestWorker;

beforeAll(async () => {
  slack = await incidentSlack();
  client = await testClient();
  w = await testWorker({ activityDeps: { integrations: slack.integrations } });
});
afterAll(async () => {
  await w?.close();
  await client?.connection.close();
  await slack?.close();
});

// Each update runs an Update Message step, so the workflow is busy in an activity when the next signals arrive.
const runbook = runbookFrom(`
name: hand-over
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
  - Operation: Send Message
    Id: notify
    Message: "Incident [incident.id]"
  - Operation: Create Thread
    Message: "Updates"
    ThreadUpdates: true
onUpdate:
  - Operation: Update Message
    Ts: "[steps.notify.ts]"
    Message: "Incident [incident.id]. Latest: [update.text]"
`);

const severities = ['SEV2', 'SEV1', 'SEV2', 'SEV1'];

async function start(id: string): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId<typeof incident>; channelId: string }> {
  const handle = await client.workflow.start<typeof incident>('incident', {
    workflowId: incidentWorkflowId(id),
    taskQueue: w.taskQueue,
    args: [{ runbook, incident: { id, severity: 'SEV3' }, historyLimit: 1 }],
  });
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  return { handle, channelId: opened.incident.channelId! };
}

/** Eight updates, a severity change after every second one, each sent once its predecessor was accepted. */
async function burst(handle: WorkflowHandle<typeof incident>): Promise<void> {
  for (let i = 1; i <= 8; i++) {
    await handle.signal(incidentUpdateSignal, { text: `step ${i} done`, author: 'U0ALICE' });
    if (i % 2 === 0) await handle.signal(incidentSeveritySignal, { severity: severities[i / 2 - 1], by: 'U0BOB' });
  }
}

/** Waits for the burst to be applied and handed over, resolves, and checks each was applied once. */
async function resolvedOnceEach(handle: WorkflowHandleWithFirstExecutionRunId<typeof incident>, channelId: string): Promise<void> {
  await eventually('all eight updates and four severity changes', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.updates === 8 && s.severityChanges.length === 4;
  });
  // The resolve waits for a hand-over: sent while the run still applies the last update, it ends the
  // run there, and a burst that lands in one wake-up (a slow or absent worker) has had none before.
  await eventually('a continue-as-new', async () => (await handle.describe()).runId !== handle.firstExecutionRunId);
  await handle.signal(incidentResolveSignal, { summary: 'Fixed', resolvedBy: 'U0BOB' });
  const result = await handle.result();

  expect(result.updates).toBe(8);
  expect(result.timeline.filter((e) => e.kind === 'update').map((e) => e.text)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `step ${i} done`));
  expect(result.severityChanges.map((c) => `${c.from}→${c.to}`)).toEqual(['SEV3→SEV2', 'SEV2→SEV1', 'SEV1→SEV2', 'SEV2→SEV1']);
  // What responders see: each update once in the thread, each severity change announced once.
  for (let i = 1; i <= 8; i++) expect(messagesWith(slack.sandbox, channelId, new RegExp(`^:memo: \\*Update ${i}\\* from <@U0ALICE>: step ${i} done$`))).toHaveLength(1);
  expect(messagesWith(slack.sandbox, channelId, 'Severity changed from')).toHaveLength(4);
}

test('updates and severity changes sent around continue-as-new are all applied, exactly once', async () => {
  await w.runUntil(async () => {
    const { handle, channelId } = await start(uniqueIncidentId('CAN'));
    // Every wake-up ends in continue-as-new, so most of these arrive inside that window.
    await burst(handle);
    await resolvedOnceEach(handle, channelId);
  });
});

test('a burst sent while no worker polls lands in one wake-up: applied once each, then handed over', async () => {
  // The worker that opened the incident stops; another takes the same queue once the burst was sent.
  const opening = await testWorker({ taskQueue: w.taskQueue, activityDeps: { integrations: slack.integrations } });
  const { handle, channelId } = await opening.runUntil(() => start(uniqueIncidentId('CANAWAY')));
  await opening.close();
  await burst(handle);
  const back = await testWorker({ taskQueue: w.taskQueue, activityDeps: { integrations: slack.integrations } });
  try {
    await back.runUntil(() => resolvedOnceEach(handle, channelId));
  } finally {
    await back.close();
  }
});
