/**
 * The wake a worker sends its hold board when it starts (holdBoardWakeSignal)
 * is a signal anyone with access to the namespace can send too. The attack:
 * a wake that carries a hold report or a subscriber, or a flood of wakes, to
 * lift a hold, add one, or grow the board. The board does nothing with a
 * wake: what it holds and whom it tells stay as they were, and a real
 * report still reaches it afterwards.
 */
import type { Client } from '@temporalio/client';
import { holdBoardId } from '../../../workflows/holds/board';
import { holdBoardQuery, holdBoardWakeSignal, holdReportSignal } from '../../../workflows/messages';
import type { HoldReport } from '../../../core/holds/types';
import { eventually } from '../../support/approvals';
import { testClient, testWorker, uniqueTaskQueue, type TestWorker } from '../../support/temporal';

let client: Client;
let w: TestWorker;
beforeAll(async () => {
  client = await testClient();
});
afterAll(async () => {
  await w?.close();
  await client?.connection.close();
});

const freeze: HoldReport = { source: 'freeze', id: 'freeze:wake-forged', seq: 1, scopes: [{ stages: ['production'], services: ['*'] }], label: 'Real freeze' };

test('a forged wake carrying a lift, a hold or a subscriber, and a flood of wakes, change nothing the board holds', async () => {
  const taskQueue = uniqueTaskQueue('wake');
  w = await testWorker({ taskQueue });
  const board = client.workflow.getHandle(holdBoardId(taskQueue));
  await w.runUntil(async () => {
    await board.signal(holdReportSignal, freeze);
    await eventually('the board to hold the freeze', async () => (await board.query(holdBoardQuery)).reports.length === 1);

    // Sent by name, as an attacker would, with payloads the wake's handler must ignore.
    const send = (arg: unknown) => client.workflow.getHandle(holdBoardId(taskQueue)).signal(holdBoardWakeSignal.name as never, arg as never);
    await send({ ...freeze, seq: 2, scopes: [] }); // a lift of the real freeze
    await send({ source: 'freeze', id: 'freeze:attacker', seq: 1, scopes: [{ stages: ['*'], services: ['*'] }], label: 'Attacker' });
    await send({ approvalId: 'approval:attacker', stage: 'production', service: 'checkout' });
    for (let i = 0; i < 50; i++) await send(undefined);

    const wakes = async () => (await board.fetchHistory()).events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === holdBoardWakeSignal.name).length;
    await eventually('every wake in the board’s history', async () => (await wakes()) >= 53);
    const view = await board.query(holdBoardQuery);
    expect(view.reports.map((r) => [r.id, r.seq, r.scopes.length])).toEqual([['freeze:wake-forged', 1, 1]]);
    expect(view.subscribers).toBe(0);

    // The board still takes a real report after the flood.
    await board.signal(holdReportSignal, { ...freeze, seq: 2, scopes: [] });
    await eventually('the real lift', async () => (await board.query(holdBoardQuery)).reports.length === 0);
  });
});
