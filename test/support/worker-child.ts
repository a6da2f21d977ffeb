/**
 * Starts `worker-process.ts` (a Signalroom worker against the sandbox) in a
 * child process, for tests that SIGKILL it and start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Sandbox } from '../../src/sandbox';

const ROOT = path.join(__dirname, '../..');
const started: ChildProcess[] = [];

export interface WorkerChildOptions {
  taskQueue: string;
  sandbox: Sandbox;
  approverGroups?: Record<string, unknown>;
  /** A frontend other than the run's dev server (the cluster tests). */
  temporalAddress?: string;
  /** A workflow bundle other than the run's. */
  workflowBundle?: string;
}

/** Resolves once the worker is about to poll; rejects with its stderr when it exits first. */
export async function startWorkerProcess(o: WorkerChildOptions): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.js'), path.join(ROOT, 'test/support/worker-process.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      SIGNALROOM_TASK_QUEUE: o.taskQueue,
      SLACK_API_URL: o.sandbox.apiUrl,
      SLACK_BOT_TOKEN: o.sandbox.botToken,
      SLACK_SIGNING_SECRET: o.sandbox.signingSecret,
      SIGNALROOM_TEST_APPROVER_GROUPS: JSON.stringify(o.approverGroups ?? {}),
      ...(o.temporalAddress ? { SIGNALROOM_TEST_TEMPORAL_ADDRESS: o.temporalAddress } : {}),
      ...(o.workflowBundle ? { SIGNALROOM_TEST_WORKFLOW_BUNDLE: o.workflowBundle } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker process did not start: ${stderr}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited (${code}): ${stderr}`));
    });
  });
  return child;
}

/** SIGKILL: no shutdown, no goodbye to Temporal; resolves once the process is gone. */
export async function killWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** For afterAll: no worker outlives its test file. */
export async function killAllWorkers(): Promise<void> {
  await Promise.all(started.splice(0).map(killWorker));
}
