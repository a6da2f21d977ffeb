/**
 * Shared by the operations tests: the Temporal CLI's `workflow list`, a
 * bounded poll, and the sandbox config file a `signalroom worker` process reads.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface ListedRun {
  workflowId: string;
  status: string;
  taskQueue: string;
}

/** `temporal workflow list --query … -o json`, as an operator would run it. */
export async function temporalWorkflowList(query: string, address = process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS!, namespace = process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default'): Promise<ListedRun[]> {
  const cli = process.env.SIGNALROOM_TEST_TEMPORAL_CLI;
  if (!cli) throw new Error('SIGNALROOM_TEST_TEMPORAL_CLI is not set (jest globalSetup did not run)');
  const { stdout } = await exec(cli, ['workflow', 'list', '--address', address, '--namespace', namespace, '--query', query, '--limit', '200', '-o', 'json']);
  const rows = JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string }; status: string; taskQueue: string }>;
  return rows.map((r) => ({ workflowId: r.execution.workflowId, status: r.status, taskQueue: r.taskQueue }));
}

export { eventually } from './eventually';

/** A signalroom.yaml whose organization integration is the given sandbox. */
export function sandboxConfigYaml(sandbox: { botToken: string; signingSecret: string; apiUrl: string }, extra = ''): string {
  return [
    'slack:',
    '  organization:',
    `    botToken: ${JSON.stringify(sandbox.botToken)}`,
    `    signingSecret: ${JSON.stringify(sandbox.signingSecret)}`,
    `    apiUrl: ${JSON.stringify(sandbox.apiUrl)}`,
    extra,
  ].join('\n');
}
