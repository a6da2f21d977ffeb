/**
 * An approval asking `minPerGroup: { release: 100000000 }`, started straight
 * against Temporal (the path that skips the API's and CLI's checks), and
 * carol approving it. The policy allocated a seat per required approval: the
 * worker process aborted inside the workflow thread, and crashed again on
 * every replay. The run must fail on its own with a reason, and the same
 * worker process must go on serving other approvals.
 */
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { requestApproval } from '../../src/approvals/client';
import type { Sandbox } from '../../src/sandbox';
import { decideUpdate } from '../../workflows/messages';
import { testSandbox } from '../support/slack';
import { testClient, uniqueTaskQueue } from '../support/temporal';
import { killAllWorkers, startWorkerProcess } from '../support/worker-child';

jest.setTimeout(120_000);

const APPROVER_GROUPS = { release: { users: ['U0CAROL', 'U0ALICE'] } };
const CHANNEL = '#deploys';

let sandbox: Sandbox;
let client: Client;
let worker: ChildProcess;
let workerOutput = '';
let workerDied: Promise<string>;
const taskQueue = uniqueTaskQueue('impossible-minimum');

beforeAll(async () => {
  sandbox = await testSandbox();
  client = await testClient();
  worker = await startWorkerProcess({ taskQueue, sandbox, approverGroups: APPROVER_GROUPS });
  worker.stderr!.on('data', (d: Buffer) => (workerOutput = (workerOutput + d.toString()).slice(-4000)));
  workerDied = new Promise((resolve) => worker.once('exit', (code, signal) => resolve(`the worker process died (${signal ?? code}): ${workerOutput}`)));
});
afterAll(async () => {
  await killAllWorkers();
  await client?.connection.close();
  await sandbox?.close();
});

/** `work`, unless the worker process dies first: then a failure saying so. */
async function whileTheWorkerLives<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, workerDied.then((why) => Promise.reject(new Error(why)))]);
}

const execution = (name: string) => `${name}-${Date.now().toString(36)}`;

test('a minimum no group can supply, started past the edge, fails that run with a reason; the same worker process serves the next approval', async () => {
  const attack = await requestApproval(
    client,
    { pipeline: 'api', stage: 'prod', execution: execution('huge-min'), approverGroups: ['release'], minPerGroup: { release: 100_000_000 }, timeout: '10m', destination: { channel: CHANNEL } },
    taskQueue,
  );
  // carol approves, if the run still takes decisions: that is what made the policy count the seats.
  await whileTheWorkerLives(attack.executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'api' }] }).catch(() => undefined));
  const failure = await whileTheWorkerLives(attack.result().then(() => undefined, (err: Error) => err));
  expect(failure).toBeDefined();
  const cause = (failure as Error & { cause?: Error }).cause;
  expect(cause?.message).toMatch(/minPerGroup\.release.*100000000.*release.*2/);

  const next = await requestApproval(
    client,
    { pipeline: 'api', stage: 'prod', execution: execution('after'), approverGroups: ['release'], minApprovals: 1, timeout: '10m', destination: { channel: CHANNEL } },
    taskQueue,
  );
  await whileTheWorkerLives(next.executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'api' }] }));
  const result = await whileTheWorkerLives(next.result());
  expect(result).toMatchObject({ status: 'approved', proceed: true });
  expect(worker.exitCode).toBeNull();
  expect(worker.signalCode).toBeNull();
});
