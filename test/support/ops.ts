/**
 * Shared by the operations and command-line tests: the Temporal CLI's
 * `workflow list`, a bounded poll, the sandbox config file a `signalroom
 * worker` process reads, and the `signalroom` command as an operator or a
 * pipeline step runs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { testNamespace, testTemporalAddress } from './temporal';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

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

export interface SignalroomProcess {
  child: ChildProcess;
  /** The last 20,000 characters it printed, stdout and stderr together. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `node bin/signalroom.js ARGS` as an operator starts it: the suite's Temporal
 * dev server, the configuration and data folder in `dir`, none of this
 * shell's TEMPORAL_, SLACK_ or SIGNALROOM_WORKER_ variables, plus `env`.
 */
export function spawnSignalroom(args: string[], dir: string, env: Record<string, string> = {}): SignalroomProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(childEnv)) if (/^(TEMPORAL_|SLACK_|SIGNALROOM_WORKER_)/.test(name)) delete childEnv[name];
  Object.assign(childEnv, {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_NAMESPACE: testNamespace(),
    SIGNALROOM_CONFIG: path.join(dir, 'signalroom.yaml'),
    SIGNALROOM_DATA_DIR: path.join(dir, 'data'),
    ...env,
  });
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `node bin/signalroom.js ARGS` run to its end, as a pipeline step runs it:
 * this process's environment with `env` laid over it (`undefined` removes a
 * variable). A command still running after `timeoutMs` is killed, and its
 * stderr says so, so a hang fails naming the command instead of timing out
 * the test.
 */
export function runSignalroom(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const kill = setTimeout(() => {
    stderr += `(killed after ${timeoutMs / 1000}s: signalroom ${args.join(' ')})`;
    child.kill();
  }, timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
}
