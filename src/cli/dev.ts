/**
 * `signalroom dev` (what `npm start` runs): the whole stack on embedded
 * defaults — Temporal dev server, worker, HTTP server — until Ctrl-C.
 */
import type { SignalroomConfig } from '../config/schema';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { obtainTemporalCli } from '../temporal/cli-binary';
import { startDevServer, type RunningDevServer } from '../temporal/dev-server';
import { clusterConfiguredInEnvironment, connectClient, connectWorkerConnection } from '../temporal/connection';
import { createWorker } from '../worker';
import { buildServer } from '../server/app';
import { serverDepsFrom, slackOAuthFrom } from './server';
import { installLinkUrl } from '../server/slack-oauth';
import { randomBytes } from 'node:crypto';
import { createRuntime, needsSandbox } from '../runtime';
import { loadConfig } from '../config/load';
import { startSandbox, type Sandbox } from '../sandbox';
import { readEnv } from '../config/env';

/** Approver groups of the sandbox's demo workspace (release-managers: carol and dave; sre-team: alice, bob, carol). */
export const DEMO_APPROVER_GROUPS: SignalroomConfig['approverGroups'] = {
  'release-managers': { users: [], emails: [], userGroups: ['@release-managers'], allowSelfApproval: false, allowApproveOnTimeout: false, integrations: ['organization'] },
  sre: { users: [], emails: [], userGroups: ['@sre-team'], allowSelfApproval: false, allowApproveOnTimeout: false, integrations: ['organization'] },
};

export interface DevOptions {
  port?: number;
  uiPort?: number;
  temporalPort?: number;
  dataDir?: string;
  sandboxPort?: number;
  /** Let Temporal's HTTP API answer (refused by default: a web page could signal through it). */
  temporalHttpApi?: boolean;
}

export async function runDevStack(options: DevOptions): Promise<void> {
  const env = readEnv();
  const dataDir = path.resolve(options.dataDir ?? env.SIGNALROOM_DATA_DIR);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const stops: Array<() => Promise<void>> = [];

  let devServer: RunningDevServer | undefined;
  let address: string | undefined;
  if (clusterConfiguredInEnvironment()) {
    say(`Using the Temporal cluster from the environment (${env.TEMPORAL_ADDRESS ?? 'profile'}); no dev server started.`);
  } else {
    const cliPath = await obtainTemporalCli({ log: say });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    say(`Starting the Temporal dev server (${cliPath}), history kept in ${path.join(dataDir, 'temporal.db')} …`);
    devServer = await startDevServer({
      cliPath,
      port: options.temporalPort ?? env.TEMPORAL_DEV_PORT,
      uiPort: options.uiPort ?? env.TEMPORAL_UI_PORT,
      dbFile: path.join(dataDir, 'temporal.db'),
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      // The history and the log hold every workflow's inputs: 0600 in a 0700 folder (SECURITY.md).
      logPath: path.join(dataDir, 'temporal-server.log'),
      httpApi: options.temporalHttpApi,
    });
    address = devServer.address;
    stops.push(() => devServer!.stop());
  }

  const port = options.port ?? env.PORT;
  const sandboxPort = options.sandboxPort ?? env.SANDBOX_PORT;

  // With no real Slack configured, the local sandbox is the demo's Slack.
  const loaded = loadConfig();
  let sandbox: Sandbox | undefined;
  let stateSecret: string | undefined;
  if (needsSandbox(env, loaded.config)) {
    sandbox = await startSandbox({ port: sandboxPort, requestUrl: `http://127.0.0.1:${port}/slack/interactions` });
    stateSecret = randomBytes(16).toString('hex');
    stops.push(() => sandbox!.close());
    // The demo workspace's groups, so approvals work out of the box.
    if (Object.keys(loaded.config.approverGroups).length === 0) {
      loaded.config.approverGroups = DEMO_APPROVER_GROUPS;
      // …and the demo's people may drive incidents from /signalroom.
      if (loaded.config.incidents.responderGroups.length === 0) loaded.config.incidents.responderGroups = Object.keys(DEMO_APPROVER_GROUPS);
    }
  }
  const runtime = await createRuntime({
    config: loaded.config,
    configFile: loaded.file,
    slackFallback: sandbox ? { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl } : undefined,
  });
  stops.push(() => runtime.close());

  // The SDK's own INFO lines (bundling, worker state) drown the summary below; LOG_LEVEL=INFO brings them back.
  Runtime.install({ logger: new DefaultLogger((process.env.LOG_LEVEL?.toUpperCase() as 'INFO' | undefined) ?? 'WARN') });
  const client = await connectClient({ address });
  const { connection, namespace } = await connectWorkerConnection({ address });
  const taskQueue = env.SIGNALROOM_TASK_QUEUE;
  const worker: Worker = await createWorker({ connection, namespace, taskQueue, activityDeps: { integrations: runtime.integrations }, tuning: runtime.config.worker });
  const workerRun = worker.run();
  stops.unshift(async () => {
    // The SDK's own SIGINT/SIGTERM handler has usually begun the shutdown already (a second call throws).
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await connection.close();
  });

  // The server verifies clicks with the configured Slack apps' signing secrets and routes them to the features.
  const slackOAuth = sandbox
    ? slackOAuthFrom(runtime, { clientId: sandbox.oauthApp.clientId, clientSecret: sandbox.oauthApp.clientSecret, stateSecret, apiUrl: sandbox.apiUrl })
    : slackOAuthFrom(runtime);
  const app = await buildServer(serverDepsFrom(runtime, client, { logger: { level: process.env.LOG_LEVEL ?? 'warn' }, slackOAuth }));
  await app.listen({ port, host: '127.0.0.1' });
  stops.unshift(() => app.close());

  // A first run, so the Temporal UI lists a workflow the stack just ran.
  const handle = await client.workflow.start('selfCheck', {
    taskQueue,
    workflowId: `signalroom-self-check-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    staticSummary: 'Signalroom self-check: worker and Temporal are connected',
  });
  const result = await handle.result();

  say('');
  say('Signalroom is running.');
  if (devServer?.uiUrl) say(`  Temporal UI     ${devServer.uiUrl}/namespaces/${namespace}/workflows`);
  say(`  Temporal        ${address ?? env.TEMPORAL_ADDRESS}  (namespace ${namespace}, task queue ${taskQueue})`);
  say(`  HTTP server     http://127.0.0.1:${port}  (/slack/interactions, /api/v1, /healthz, /readyz, /metrics)`);
  if (slackOAuth) {
    // Starting an install needs a one-time link; dev prints one (`signalroom install-link` makes more).
    const link = await slackOAuth.installationStore.createInstallLink();
    say(`  Connect Slack   ${installLinkUrl(`http://127.0.0.1:${port}`, link.token)}  (one-time link, until ${link.expiresAt.toISOString()})`);
  }
  if (sandbox) {
    say(`  Slack sandbox   ${sandbox.pageUrl}  (the demo's Slack: pick a user, click buttons)`);
    say(`    Web API       ${sandbox.apiUrl}`);
    say(`    bot token     ${sandbox.botToken}`);
    say(`    signing secret ${sandbox.signingSecret}`);
  } else {
    say(`  Slack           ${runtime.integrations.names().join(', ')}`);
  }
  say(`  Self-check      ${result.workflowId} ran on ${result.worker.identity}`);
  say('Press Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: stopping Signalroom …`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  for (const stop of stops) {
    try {
      await stop();
    } catch (err) {
      process.stderr.write(`while stopping: ${(err as Error).message}\n`);
    }
  }
  await client.connection.close();
  say('Stopped.');
}
