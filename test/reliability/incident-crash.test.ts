/**
 * Exactly-once Slack effects when things break: the worker process is
 * SIGKILLed during a runbook's Wait and started again, and Slack's responses
 * are lost after it applied the call. Counted in the sandbox: one channel,
 * one of each message.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadRunbookFile } from '../../src/runbook/load';
import type { Runbook } from '../../core/runbook/types';
import { openIncident } from '../../src/incidents/client';
import { incidentResolveSignal, incidentStateQuery, incidentUpdateSignal } from '../../workflows/messages';
import type { Sandbox } from '../../src/sandbox';
import { testClient, testWorker, uniqueTaskQueue } from '../support/temporal';
import { killAllWorkers, killWorker, startWorkerProcess } from '../support/worker-child';
import { eventually, incidentSlack, uniqueIncidentId, type IncidentSlack } from '../support/incidents';

let slack: IncidentSlack;
let client: Client;
let runbook: Runbook;

beforeAll(async () => {
  slack = await incidentSlack();
  client = await testClient();
  runbook = (await loadRunbookFile(path.join(__dirname, '../fixtures/runbooks/incidents/crash.yaml'))).runbook!;
});
afterAll(async () => {
  await killAllWorkers();
  await client?.connection.close();
  await slack?.close();
});

const values = (id: string) => ({ 'incident.id': id, 'incident.severity': 'SEV1', 'incident.service': 'checkout' });

/** Every Slack effect of the crash runbook, counted as a user would see them. */
function expectEachEffectOnce(sandbox: Sandbox, id: string): void {
  const name = `incident-${id.toLowerCase()}`;
  // One channel, in the default workspace only (the demo organization has a second one).
  expect(sandbox.workspaces().filter((w) => sandbox.channelByName(name, w.id))).toHaveLength(1);
  const channel = sandbox.channelByName(name)!;
  expect(sandbox.calls('conversations.create').filter((c) => c.args.name === name && c.ok).length).toBeLessThanOrEqual(1);
  const texts = sandbox.messages(channel.id).map((m) => m.text);
  expect(texts.filter((t) => t === '🚨 SEV1 incident detected in checkout')).toHaveLength(1);
  expect(texts.filter((t) => t === 'Responders: the first assessment is due')).toHaveLength(1);
  expect(texts.filter((t) => t === `Updates for incident ${id}`)).toHaveLength(1);
  expect(texts.filter((t) => t.includes('The worker came back'))).toHaveLength(1);
  expect(texts.filter((t) => t === `Incident ${id} resolved`)).toHaveLength(1);
  for (const person of ['alice', 'bob', 'carol']) expect(channel.members.has(sandbox.user(person).id)).toBe(true);
  expect(channel.archived).toBe(true);
}

/**
 * Starts the worker again and takes the run to its end: its runbook finishes without an error, it
 * takes an update and resolves. Answers with the state the runbook finished in.
 */
async function finishOnRestartedWorker(sandbox: Sandbox, taskQueue: string, handle: Awaited<ReturnType<typeof openIncident>>, withinMs: number) {
  const worker = await startWorkerProcess({ taskQueue, sandbox });
  const state = await eventually(
    'the runbook to finish on the restarted worker',
    async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    },
    withinMs,
  );
  expect(state.timeline.filter((e) => e.kind === 'error')).toEqual([]);
  await handle.signal(incidentUpdateSignal, { text: 'The worker came back' });
  await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
  expect((await handle.result()).status).toBe('resolved');
  await killWorker(worker);
  return state;
}

test('the worker is killed during a Wait and restarted: the run finishes with every Slack effect once', async () => {
  const { sandbox } = slack;
  const taskQueue = uniqueTaskQueue('crash');
  const id = uniqueIncidentId('CRASH');
  const worker = await startWorkerProcess({ taskQueue, sandbox });
  const handle = await openIncident(client, runbook, values(id), taskQueue);

  // Kill it once the workflow sleeps in the Wait step: the first effects are in Slack, the rest are not.
  await eventually('the Wait step’s timer', async () => {
    const history = await handle.fetchHistory();
    return history.events?.some((e) => e.timerStartedEventAttributes);
  });
  await killWorker(worker);
  const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
  expect(sandbox.messages(channel.id).map((m) => m.text)).toEqual(['🚨 SEV1 incident detected in checkout']);

  const state = await finishOnRestartedWorker(sandbox, taskQueue, handle, 45_000);

  expectEachEffectOnce(sandbox, id);
  expect(sandbox.replies(channel.id, state.threadTs!).map((m) => m.text)).toEqual([':memo: *Update 1*: The worker came back']);
});

/**
 * A kill inside a workflow task whose local activities posted: the task is lost, the post is in Slack
 * and not in the history, and the task runs again on the restarted worker (a local activity run again
 * starts at attempt 1). `lastPost` is the post after which the kill lands; `completedBefore`, how many
 * workflow tasks had completed by then.
 */
test.each([
  { task: 'the first workflow task', lastPost: '🚨 SEV1 incident detected in checkout', completedBefore: 0, posted: ['🚨 SEV1 incident detected in checkout'] },
  {
    task: 'a workflow task after the Wait',
    lastPost: 'Responders: the first assessment is due',
    completedBefore: 1,
    posted: ['🚨 SEV1 incident detected in checkout', 'Responders: the first assessment is due'],
  },
])('the worker is killed in $task, after a post and before its answer: the task runs again, every Slack effect once', async ({ lastPost, completedBefore, posted }) => {
  const { sandbox } = slack;
  const taskQueue = uniqueTaskQueue('crash-in-task');
  const id = uniqueIncidentId('INTASK');
  const name = `incident-${id.toLowerCase()}`;
  const worker = await startWorkerProcess({ taskQueue, sandbox });
  // Slack applies each call at once and answers 300 ms later: the kill lands after the post is
  // made and before the workflow task that made it (as a local activity) can complete.
  sandbox.setLatency(300);
  const handle = await openIncident(client, runbook, values(id), taskQueue).catch((err: unknown) => {
    sandbox.setLatency(0);
    throw err;
  });
  try {
    await eventually(
      `"${lastPost}" in Slack`,
      () => {
        const ch = sandbox.channelByName(name);
        return !!ch && sandbox.messages(ch.id).some((m) => m.text === lastPost);
      },
      30_000,
      5,
    );
    await killWorker(worker);
  } finally {
    sandbox.setLatency(0);
  }
  // The post is in Slack and not in the run's history: the task that made it never completed.
  const atKill = (await handle.fetchHistory()).events ?? [];
  expect(atKill.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(completedBefore);
  const channel = sandbox.channelByName(name)!;
  expect(sandbox.messages(channel.id).map((m) => m.text)).toEqual(posted);
  const readsBefore = sandbox.calls('conversations.history').filter((c) => c.args.channel === channel.id).length;

  await finishOnRestartedWorker(sandbox, taskQueue, handle, 60_000);

  expectEachEffectOnce(sandbox, id);
  // The lost task timed out and ran again; its post found the one already made, by reading the channel.
  const events = (await handle.fetchHistory()).events ?? [];
  expect(events.some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(true);
  expect(sandbox.calls('conversations.history').filter((c) => c.args.channel === channel.id).length).toBeGreaterThan(readsBefore);
});

test('the worker is killed while the incident resolves, after the resolve steps posted: they run again, every Slack effect once', async () => {
  const { sandbox } = slack;
  const taskQueue = uniqueTaskQueue('crash-resolving');
  const id = uniqueIncidentId('RESOLVING');
  let worker = await startWorkerProcess({ taskQueue, sandbox });
  const handle = await openIncident(client, runbook, values(id), taskQueue);
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  }, 45_000);
  await handle.signal(incidentUpdateSignal, { text: 'The worker came back' });
  await eventually('the update in the thread', () => sandbox.replies(opened.threadChannel!, opened.threadTs!).length > 0);
  const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;

  // The run is idle, waiting for news; the resolve wakes it in a new workflow task, whose post is made
  // and whose answer comes 300 ms later: the kill lands in between.
  sandbox.setLatency(300);
  try {
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
    await eventually('the resolve post in Slack', () => sandbox.messages(channel.id).some((m) => m.text === `Incident ${id} resolved`), 30_000, 5);
    await killWorker(worker);
  } finally {
    sandbox.setLatency(0);
  }
  expect(channel.archived).toBe(false);
  const readsBefore = sandbox.calls('conversations.history').filter((c) => c.args.channel === channel.id).length;

  worker = await startWorkerProcess({ taskQueue, sandbox });
  expect((await handle.result()).status).toBe('resolved');
  await killWorker(worker);
  expectEachEffectOnce(sandbox, id);
  expect(sandbox.calls('conversations.history').filter((c) => c.args.channel === channel.id).length).toBeGreaterThan(readsBefore);
});

test('Slack applies the call but the response is lost: the retries find the channel and the posts, no duplicates', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('LOST');
  const w = await testWorker({ activityDeps: { integrations: slack.integrations } });
  await w.runUntil(async () => {
    sandbox.faults.inject('conversations.create', { kind: 'drop_response' });
    sandbox.faults.inject('conversations.invite', { kind: 'drop_response' });
    sandbox.faults.inject('chat.postMessage', { kind: 'drop_response', count: 2 });
    const handle = await openIncident(client, runbook, values(id), w.taskQueue);
    const state = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    // The faults fired, and so did the retries.
    expect(sandbox.faults.armed()).toEqual({});
    expect(sandbox.calls('conversations.create').filter((c) => c.fault === 'drop_response')).toHaveLength(1);
    expect(sandbox.calls('chat.postMessage').filter((c) => c.fault === 'drop_response')).toHaveLength(2);

    sandbox.faults.inject('chat.postMessage', { kind: 'drop_response', count: 2 });
    await handle.signal(incidentUpdateSignal, { text: 'The worker came back' });
    await eventually('the update in the thread', () => sandbox.replies(state.threadChannel!, state.threadTs!).length > 0);
    await handle.signal(incidentResolveSignal, {});
    expect((await handle.result()).status).toBe('resolved');
    expect(sandbox.calls('chat.postMessage').filter((c) => c.fault === 'drop_response')).toHaveLength(4);
    expect(state.timeline.filter((e) => e.kind === 'error')).toEqual([]);
  });
  await w.close();
  expectEachEffectOnce(sandbox, id);
  const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
  expect(sandbox.calls('conversations.create').filter((c) => c.args.name === channel.name)).toHaveLength(2);
});
