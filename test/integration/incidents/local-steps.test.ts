/**
 * A runbook's Slack steps run as local activities (docs/ARCHITECTURE.md, "The
 * path of a runbook step"). What that costs in Slack calls: a post is one
 * chat.postMessage, never preceded by a read of the channel, unless the run
 * was rebuilt from history and may be repeating a workflow task that was
 * lost; then its posts look for themselves first, until the run has gone
 * idle once. (The crashes themselves: test/reliability/incident-crash.test.ts.)
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { openIncident } from '../../../src/incidents/client';
import type { Sandbox } from '../../../src/sandbox';
import { incidentResolveSignal, incidentStateQuery, incidentUpdateSignal } from '../../../workflows/messages';
import { testClient, testWorker, uniqueTaskQueue } from '../../support/temporal';
import { eventually, incidentSlack, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

let slack: IncidentSlack;
let client: Client;

beforeAll(async () => {
  slack = await incidentSlack();
  client = await testClient();
});
afterAll(async () => {
  await client?.connection.close();
  await slack?.close();
});

const runbook = runbookFrom(`
name: local-steps
inputs: [incident.id]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
    AddUsers: ["@oncall"]
  - Operation: Send Message
    Message: "Incident [incident.id] is open"
  - Operation: Send Message
    Message: "Responders, please join"
  - Operation: Set Topic
    Topic: "Incident [incident.id]"
  - Operation: Create Thread
    Id: thread
    Message: "Updates for incident [incident.id]"
    ThreadUpdates: true
  - Operation: Send Message
    Thread: "[steps.thread.ts]"
    Message: "First reply"
onUpdate:
  - Operation: Send Message
    Message: "Update: [update.text]"
onResolve:
  - Operation: Send Message
    Message: "Incident [incident.id] resolved"
  - Operation: Archive Channel
`);

/** The calls the sandbox answered for one channel, by method. */
function callsIn(sandbox: Sandbox, channelId: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of sandbox.calls()) if (c.args.channel === channelId) counts[c.method] = (counts[c.method] ?? 0) + 1;
  return counts;
}

/** Reads of a channel's messages: what a post that looks for itself first costs. */
const reads = (sandbox: Sandbox, channelId: string) => sandbox.calls().filter((c) => (c.method === 'conversations.history' || c.method === 'conversations.replies') && c.args.channel === channelId).length;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

test('without a crash, each post of a runbook is one chat.postMessage: no read of the channel first', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('LOCAL');
  const w = await testWorker({ activityDeps: { integrations: slack.integrations } });
  let events: HistoryEvent[] = [];
  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, { 'incident.id': id }, w.taskQueue);
    await eventually('the incident to open', async () => (await handle.query(incidentStateQuery)).status === 'open');
    await handle.signal(incidentUpdateSignal, { text: 'Rolled back' });
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
    const state = await handle.result();
    expect(state.timeline.filter((e) => e.kind === 'error')).toEqual([]);
    events = (await handle.fetchHistory()).events ?? [];
  });
  await w.close();

  const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
  const top = sandbox.messages(channel.id).filter((m) => !m.threadTs || m.threadTs === m.ts);
  expect(top.map((m) => m.text)).toEqual([`Incident ${id} is open`, 'Responders, please join', `Updates for incident ${id}`, 'Update: Rolled back', `Incident ${id} resolved`]);
  const thread = sandbox.replies(channel.id, top[2].ts).map((m) => m.text);
  expect(thread).toEqual(['First reply', ':memo: *Update 1*: Rolled back']);
  expect(channel.archived).toBe(true);

  // Seven posts, seven calls to post, and nothing read back.
  const calls = callsIn(sandbox, channel.id);
  expect(calls['chat.postMessage']).toBe(7);
  expect(calls['conversations.history'] ?? 0).toBe(0);
  expect(calls['conversations.replies'] ?? 0).toBe(0);

  // The steps ran as local activities, whose results are markers in the history; the two posts in a row
  // were made by one. The one regular activity is the update's post into the thread, not a runbook step.
  const local = events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    return [(JSON.parse(Buffer.from(marker.details!.data!.payloads![0]!.data!).toString('utf8')) as { activity_type: string }).activity_type];
  });
  // What the incident holds (configuration: a local activity), Create Thread, then its reply (which uses its output), the update's step, the resolve's post.
  expect(local).toEqual(['resolveIntegration', 'incidentHoldScopes', 'createChannel', 'inviteUsers', 'postMessages', 'setChannelTopic', 'postMessage', 'postMessage', 'postMessage', 'postMessage', 'archiveChannel']);
  const stepCalls = new Set(['createChannel', 'inviteUsers', 'setChannelTopic', 'postMessage', 'postMessages', 'archiveChannel']);
  expect(events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []).filter((name) => stepCalls.has(name))).toEqual(['postMessage']);
});

test('a run rebuilt from history looks for its posts first until it has gone idle once', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('REBUILT');
  const first = await testWorker({ activityDeps: { integrations: slack.integrations } });
  const handle = await first.runUntil(async () => {
    const h = await openIncident(client, runbook, { 'incident.id': id }, first.taskQueue);
    await eventually('the incident to open', async () => (await h.query(incidentStateQuery)).status === 'open');
    return h;
  });
  await first.close();
  const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
  expect(reads(sandbox, channel.id)).toBe(0);

  // Another worker: it has the run only from its history, so it cannot tell whether its first task repeats a lost one.
  const second = await testWorker({ activityDeps: { integrations: slack.integrations }, taskQueue: first.taskQueue });
  await second.runUntil(async () => {
    await handle.signal(incidentUpdateSignal, { text: 'One' });
    await eventually('the first update’s post', () => sandbox.messages(channel.id).some((m) => m.text === 'Update: One'));
    expect(reads(sandbox, channel.id)).toBe(1);

    // It went idle on this worker, and woke in a later task: nothing lost can be repeated now.
    await handle.signal(incidentUpdateSignal, { text: 'Two' });
    await eventually('the second update’s post', () => sandbox.messages(channel.id).some((m) => m.text === 'Update: Two'));
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
    expect((await handle.result()).status).toBe('resolved');
  });
  await second.close();
  expect(reads(sandbox, channel.id)).toBe(1);
  const texts = sandbox.messages(channel.id).map((m) => m.text);
  expect(texts.filter((t, n) => texts.indexOf(t) !== n)).toEqual([]);
});

test('a run queried before its first workflow task is polled replays: the query comes with the task, before the first local result is handed over', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('QUERIED');
  const taskQueue = uniqueTaskQueue('queried');
  // No worker polls yet: the query waits on the server and is handed over with the first workflow task.
  const handle = await openIncident(client, runbook, { 'incident.id': id }, taskQueue);
  const firstAnswer = handle.query(incidentStateQuery);
  await new Promise((r) => setTimeout(r, 1_000));
  const w = await testWorker({ activityDeps: { integrations: slack.integrations }, taskQueue });
  const history = await w.runUntil(async () => {
    expect((await firstAnswer).status).toBe('opening');
    await eventually('the incident to open', async () => (await handle.query(incidentStateQuery)).status === 'open');
    await handle.signal(incidentUpdateSignal, { text: 'Rolled back' });
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
    await handle.result();
    return await handle.fetchHistory();
  });
  await w.close();
  expect(sandbox.messages(sandbox.channelByName(`incident-${id.toLowerCase()}`)!.id).filter((m) => m.text === `Incident ${id} is open`)).toHaveLength(1);

  // The SDK answered the query in the first task and completed it with local activity results recorded
  // but not yet handed to the workflow: the steps ran in the next task. A replay hands those results over
  // at once, in the first task. Usually that is the first local activity alone; on a loaded machine the
  // second one (the hold scopes) may have finished in time to be recorded too. Either must replay.
  const events = history.events ?? [];
  const firstDone = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  const nextTask = events.findIndex((e, n) => n > firstDone && e.workflowTaskScheduledEventAttributes);
  const recordedFirst = events.slice(firstDone, nextTask).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  expect(recordedFirst.length).toBeGreaterThanOrEqual(1);
  expect(recordedFirst.length).toBeLessThanOrEqual(2);
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.SIGNALROOM_TEST_WORKFLOW_BUNDLE! } }, history, handle.workflowId);
});
