/**
 * Attack: ask for more approvals than anyone can give — `minPerGroup:
 * { release: 100000000 }`, two approvals from a group of one person, a
 * `--min` of a hundred million on the command line — hoping the request is
 * taken and handed to the workflow (where one such number once aborted the
 * worker). Each edge refuses it before anything starts: a number past the
 * bound is a 400 (the schema's, named in the OpenAPI document) or exit 64,
 * a minimum above what configuration lists for the groups a 422 or exit 64.
 * Where the members come from a Slack user group, only the worker knows how
 * many there are: the edge applies its bound and the workflow fails the run
 * with a reason.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { approvalWorkflowId } from '../../../src/approvals/client';
import { MAX_APPROVALS } from '../../../core/approval/policy';
import { approvalCliStack, CHANNEL, API_TOKEN, uniqueExecution } from '../../support/approvals';
import { runSignalroom } from '../../support/ops';

const setup = approvalCliStack({ release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] } });

const body = (execution: string, extra: Record<string, unknown>) => ({ pipeline: 'web', stage: 'prod', execution, channel: CHANNEL, timeout: '10m', ...extra });

async function expectNothingStarted(execution: string): Promise<void> {
  const id = approvalWorkflowId({ pipeline: 'web', stage: 'prod', execution });
  await expect(setup.stack.client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

test('a per-group minimum past the bound is refused (400 naming the field) and starts nothing', async () => {
  const execution = uniqueExecution('huge');
  const res = await setup.stack.api('POST', '/approvals', API_TOKEN, body(execution, { approverGroups: ['release'], minPerGroup: { release: 100_000_000 } }));
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ error: 'invalid_request', field: 'body.minPerGroup.release' });
  await expectNothingStarted(execution);
});

test('a minimum above the people configuration lists for a group is 422 naming the field, and starts nothing', async () => {
  const perGroup = uniqueExecution('per-group');
  const res = await setup.stack.api('POST', '/approvals', API_TOKEN, body(perGroup, { approverGroups: ['sre'], minPerGroup: { sre: 2 } }));
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ error: 'unprocessable_entity', field: 'body.minPerGroup.sre', message: expect.stringMatching(/sre.*at most 1/) });
  await expectNothingStarted(perGroup);

  const overall = uniqueExecution('overall');
  const res2 = await setup.stack.api('POST', '/approvals', API_TOKEN, body(overall, { approverGroups: ['sre'], minApprovals: 2 }));
  expect(res2.status).toBe(422);
  expect(res2.body).toMatchObject({ error: 'unprocessable_entity', field: 'body.minApprovals', message: expect.stringMatching(/at most 1/) });
  await expectNothingStarted(overall);
});

test('a minimum a Slack user group cannot supply passes the edge’s bound and fails its run with a reason', async () => {
  // @release-managers is carol and dave in the sandbox: configuration cannot know that, the worker can.
  const execution = uniqueExecution('user-group');
  const res = await setup.stack.api('POST', '/approvals', API_TOKEN, body(execution, { approverGroups: ['release'], minPerGroup: { release: MAX_APPROVALS } }));
  expect(res.status).toBe(201);
  const view = await setup.stack.api('GET', `/approvals/${encodeURIComponent(String(res.body.id))}/wait?timeout=30s`, API_TOKEN);
  expect(view.status).toBe(200);
  expect(view.body).toMatchObject({ status: 'failed', reason: expect.stringMatching(new RegExp(`minPerGroup\\.release.*${MAX_APPROVALS}.*release.*2`)) });
});

describe('the CLI', () => {
  const cli = (...args: string[]) =>
    runSignalroom(['approval', 'request', '--pipeline', 'web', '--stage', 'prod', '--channel', '#deploys', '--timeout', '10m', ...args], {
      cwd: setup.dir,
      env: {
        TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default',
        SIGNALROOM_TASK_QUEUE: setup.stack.worker.taskQueue,
        SIGNALROOM_CONFIG: setup.configFile,
        LOG_LEVEL: 'error',
      },
    });

  test('--min past the bound exits 64 naming it, and starts nothing', async () => {
    const execution = uniqueExecution('cli-huge');
    const run = await cli('--execution', execution, '--approvers', 'release', '--min', '100000000');
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(new RegExp(`--min.*at most ${MAX_APPROVALS}`));
    await expectNothingStarted(execution);
  });

  test('--min above the people configuration lists exits 64 naming it, and starts nothing', async () => {
    const execution = uniqueExecution('cli-over');
    const run = await cli('--execution', execution, '--approvers', 'sre', '--min', '2');
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/minApprovals.*at most 1/);
    await expectNothingStarted(execution);
  });
});
