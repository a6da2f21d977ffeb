import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { testClient, testTemporalAddress, testWorker } from '../../support/temporal';
import { SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes';
import { eventually } from '../../support/eventually';

const exec = promisify(execFile);

describe('a workflow on the real Temporal dev server', () => {
  let client: Client;
  beforeAll(async () => {
    client = await testClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  test('runs its activity on a worker and records it in the event history', async () => {
    const w = await testWorker();
    const workflowId = `self-check-${w.taskQueue}`;
    const result = await w.runUntil(() =>
      client.workflow.execute('selfCheck', { taskQueue: w.taskQueue, workflowId }),
    );
    await w.close();

    expect(result.workflowId).toBe(workflowId);
    expect(result.worker.taskQueue).toBe(w.taskQueue);
    expect(result.worker.identity).toMatch(/^signalroom-worker@/);

    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const types = history.events!.map((e) => e.eventType);
    const names = types.map((t) => String(t));
    // The SDK gives numeric enum values; compare against the proto names.
    const { temporal } = await import('@temporalio/proto');
    const E = temporal.api.enums.v1.EventType;
    expect(names[0]).toBe(String(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED));
    expect(types).toContain(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    expect(types).toContain(E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    expect(types[types.length - 1]).toBe(E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled!.activityTaskScheduledEventAttributes!.activityType!.name).toBe('describeWorker');
  });

  test('is found by the Temporal CLI as an outside client (workflow list / describe)', async () => {
    const w = await testWorker();
    const workflowId = `cli-visible-${w.taskQueue}`;
    await w.runUntil(() => client.workflow.execute('selfCheck', { taskQueue: w.taskQueue, workflowId }));
    await w.close();

    const cli = process.env.SIGNALROOM_TEST_TEMPORAL_CLI!;
    const address = ['--address', testTemporalAddress()];
    const describe = await exec(cli, ['workflow', 'describe', '--workflow-id', workflowId, '--output', 'json', ...address]);
    const described = JSON.parse(describe.stdout);
    expect(described.workflowExecutionInfo.type.name).toBe('selfCheck');
    expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');

    // Visibility is eventually consistent: poll the list for a few seconds.
    const listed = await eventually(
      'the self-check in the workflow list',
      async () => {
        const list = await exec(cli, ['workflow', 'list', '--query', `WorkflowId = '${workflowId}'`, '--output', 'json', ...address]);
        const found: Array<{ execution: { workflowId: string } }> = list.stdout.trim() ? JSON.parse(list.stdout) : [];
        return found.length > 0 && found;
      },
      20_000,
      250,
    );
    expect(listed.map((x) => x.execution.workflowId)).toEqual([workflowId]);
  });

  test('the dev server has every Signalroom search attribute registered', async () => {
    const cli = process.env.SIGNALROOM_TEST_TEMPORAL_CLI!;
    const out = await exec(cli, ['operator', 'search-attribute', 'list', '--output', 'json', '--address', testTemporalAddress()]);
    const text = out.stdout;
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(text).toContain(name);
  });
});
