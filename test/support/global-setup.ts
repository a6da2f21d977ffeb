/**
 * Starts one Temporal dev server for the whole test run on a free port (never
 * 7233, so a developer's own server is untouched), with the project's search
 * attributes registered, and bundles the workflows once.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { obtainTemporalCli } from '../../src/temporal/cli-binary';
import { startDevServer } from '../../src/temporal/dev-server';
import { workflowsPath } from '../../src/worker';

export default async function globalSetup(): Promise<void> {
  const cliPath = await obtainTemporalCli({ log: (l) => process.stderr.write(`${l}\n`) });
  const server = await startDevServer({ cliPath, headless: true });
  (globalThis as { __signalroomDevServer?: unknown }).__signalroomDevServer = server;
  // The teardown stops it; if jest exits without one (interrupted, a crash), never leave it running.
  process.once('exit', () => {
    if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
  });

  const runDir = path.join(os.tmpdir(), `signalroom-test-${process.pid}`);
  mkdirSync(runDir, { recursive: true });
  const bundle = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  // Test workers inherit these from this process.
  process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.SIGNALROOM_TEST_NAMESPACE = server.namespace;
  process.env.SIGNALROOM_TEST_TEMPORAL_CLI = cliPath;
  process.env.SIGNALROOM_TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.SIGNALROOM_TEST_RUN_DIR = runDir;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
