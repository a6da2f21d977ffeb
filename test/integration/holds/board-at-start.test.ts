/**
 * The hold board runs before anyone asks it: a worker starts its task
 * queue's board when the worker starts (src/worker.ts). Else the first
 * approvals after a deploy wait for the board's first workflow task behind
 * all of theirs, and a burst's first card comes seconds late
 * (bench/README.md, Findings). A second worker finds the board running and
 * leaves it as it is: what it knows stays. It wakes the board, though, so the
 * board's next workflow task runs on a worker that is up: after a restart,
 * the board's next task would otherwise wait in the task queue behind a
 * burst's.
 */
import type { Client } from '@temporalio/client';
import { holdBoardId } from '../../../workflows/holds/board';
import { holdBoardQuery, holdReportSignal, holdBoardWakeSignal } from '../../../workflows/messages';
import type { HoldReport } from '../../../core/holds/types';
import { eventually } from '../../support/approvals';
import { testClient, testWorker, uniqueTaskQueue, type TestWorker } from '../../support/temporal';

let client: Client;
const workers: TestWorker[] = [];
beforeAll(async () => {
  client = await testClient();
});
afterAll(async () => {
  for (const w of workers) await w.close();
  await client?.connection.close();
});

async function worker(taskQueue: string): Promise<TestWorker> {
  const w = await testWorker({ taskQueue });
  workers.push(w);
  return w;
}

const freeze: HoldReport = { source: 'freeze', id: 'freeze:board-at-start', seq: 1, scopes: [{ stages: ['production'], services: ['*'] }], label: 'Board at start' };

test('a worker starts its task queue’s hold board, before any approval asks for it', async () => {
  const taskQueue = uniqueTaskQueue('board');
  const w = await worker(taskQueue);
  const board = client.workflow.getHandle(holdBoardId(taskQueue));
  const described = await w.runUntil(() => board.describe());
  expect(described.status.name).toBe('RUNNING');
  expect(described.type).toBe('holdBoard');
  expect(described.taskQueue).toBe(taskQueue);
});

test('a second worker on the queue keeps the running board and what it knows', async () => {
  const taskQueue = uniqueTaskQueue('board');
  const first = await worker(taskQueue);
  const board = client.workflow.getHandle(holdBoardId(taskQueue));
  const runId = await first.runUntil(async () => {
    const { runId } = await board.describe();
    await board.signal(holdReportSignal, freeze);
    await eventually('the board to hold the freeze', async () => (await board.query(holdBoardQuery)).reports.length === 1);
    return runId;
  });

  const second = await worker(taskQueue);
  const [described, view] = await second.runUntil(() => Promise.all([board.describe(), board.query(holdBoardQuery)]));
  expect(described.runId).toBe(runId);
  expect(view.reports.map((r) => r.label)).toEqual(['Board at start']);
});

test('a worker wakes the running board: a workflow task of the board runs as the worker starts', async () => {
  const taskQueue = uniqueTaskQueue('board');
  const board = client.workflow.getHandle(holdBoardId(taskQueue));
  const completedTasks = async () => (await board.fetchHistory()).events!.filter((e) => e.workflowTaskCompletedEventAttributes).length;
  const wakes = async () => (await board.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === holdBoardWakeSignal.name).length;
  const first = await worker(taskQueue);
  const before = await first.runUntil(async () => {
    await eventually('the board’s first task', async () => (await completedTasks()) >= 1);
    return completedTasks();
  });
  const wokenBefore = await wakes();

  const second = await worker(taskQueue);
  expect(await wakes()).toBe(wokenBefore + 1);
  const after = await second.runUntil(async () => {
    await eventually('the woken board’s task', async () => (await completedTasks()) > before);
    return completedTasks();
  });
  expect(after).toBeGreaterThan(before);
});
