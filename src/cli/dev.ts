/**
 * `signalroom dev` (what `npm start` runs): the whole stack on embedded
 * defaults — Temporal dev server, worker, HTTP server — until Ctrl-C.
 */
import type { SignalroomConfig } from '../config/schema';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { Runtime, type Worker } from '@temporalio/worker';
import { createLogger, temporalLogger } from '../logging';
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
import { alive, devFilePath, readDevFileAt, removeDevFile, writeDevFile } from '../config/dev-file';
import net from 'node:net';

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

/** A signal while dev starts or runs: stop what was started, then exit 0. */
class Interrupted extends Error {}

/**
 * Every way out stops what dev started — a bad configuration, an error while
 * starting, a signal (SIGINT, SIGTERM) at any moment, the crash of the dev
 * server or the worker — in the reverse order of starting. The dev server is
 * a child process: anything that skips this (an uncaught error) still ends
 * it as the process exits (src/temporal/dev-server.ts). Only SIGKILL leaves
 * it running; the next `dev` then names it (`leftoverServer`).
 */
export async function runDevStack(options: DevOptions): Promise<void> {
  const env = readEnv();
  const dataDir = path.resolve(options.dataDir ?? env.SIGNALROOM_DATA_DIR);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const stops: Array<() => Promise<void>> = [];

  // From the first line on, a signal stops whatever has started so far.
  let signalled: string | undefined;
  let onSignal: (signal: string) => void = () => {};
  const interrupted = new Promise<never>((_resolve, reject) => {
    onSignal = (signal) => {
      if (signalled) return;
      signalled = signal;
      say(`\n${signal}: stopping Signalroom …`);
      reject(new Interrupted(signal));
    };
  });
  interrupted.catch(() => {});
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  /** Waits for a step of the start, unless a signal comes first. */
  const step = <T>(work: Promise<T>): Promise<T> => Promise.race([work, interrupted]);

  let failure: unknown;
  try {
    await runStack();
  } catch (err) {
    if (!(err instanceof Interrupted)) failure = err;
  } finally {
    for (const stop of stops) {
      try {
        await stop();
      } catch (err) {
        process.stderr.write(`while stopping: ${(err as Error).message}\n`);
      }
    }
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
  if (failure) throw failure;
  say('Stopped.');

  async function runStack(): Promise<void> {
    // The configuration first: a mistake in it starts nothing.
    const loaded = loadConfig();
    const port = options.port ?? env.PORT;
    const sandboxPort = options.sandboxPort ?? env.SANDBOX_PORT;
    const taskQueue = env.SIGNALROOM_TASK_QUEUE;

    let devServer: RunningDevServer | undefined;
    let address: string | undefined;
    if (clusterConfiguredInEnvironment()) {
      say(`Using the Temporal cluster from the environment (${env.TEMPORAL_ADDRESS ?? 'profile'}); no dev server started.`);
    } else {
      const cliPath = await step(obtainTemporalCli({ log: say }));
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const temporalPort = options.temporalPort ?? env.TEMPORAL_DEV_PORT;
      const leftover = await step(leftoverServer(dataDir, '127.0.0.1', temporalPort));
      if (leftover) throw new Error(leftover);
      say(`Starting the Temporal dev server (${cliPath}), history kept in ${path.join(dataDir, 'temporal.db')} …`);
      devServer = await step(
        startDevServer({
          cliPath,
          port: temporalPort,
          uiPort: options.uiPort ?? env.TEMPORAL_UI_PORT,
          dbFile: path.join(dataDir, 'temporal.db'),
          namespace: env.TEMPORAL_NAMESPACE ?? 'default',
          // The history and the log hold every workflow's inputs: 0600 in a 0700 folder (SECURITY.md).
          logPath: path.join(dataDir, 'temporal-server.log'),
          httpApi: options.temporalHttpApi,
        }),
      );
      const server = devServer;
      address = server.address;
      stops.unshift(async () => {
        await server.stop();
        removeDevFile(dataDir);
      });
      // Written at once: a dev killed outright from here on leaves a file naming its server.
      writeDevFile(dataDir, { pid: process.pid, temporal: { address, namespace: server.namespace, pid: server.process.pid, uiUrl: server.uiUrl }, taskQueue });
    }

    // With no real Slack configured, the local sandbox is the demo's Slack.
    let sandbox: Sandbox | undefined;
    let stateSecret: string | undefined;
    if (needsSandbox(env, loaded.config)) {
      sandbox = await step(startSandbox({ port: sandboxPort, requestUrl: `http://127.0.0.1:${port}/slack/interactions` }));
      stateSecret = randomBytes(16).toString('hex');
      const started = sandbox;
      stops.unshift(() => started.close());
      // The demo workspace's groups, so approvals work out of the box.
      if (Object.keys(loaded.config.approverGroups).length === 0) {
        loaded.config.approverGroups = DEMO_APPROVER_GROUPS;
        // …and the demo's people may drive incidents from /signalroom.
        if (loaded.config.incidents.responderGroups.length === 0) loaded.config.incidents.responderGroups = Object.keys(DEMO_APPROVER_GROUPS);
      }
    }
    const runtime = await step(
      createRuntime({
        config: loaded.config,
        configFile: loaded.file,
        slackFallback: sandbox ? { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl } : undefined,
      }),
    );
    stops.unshift(() => runtime.close());

    // The worker logs as the server does (src/logging.ts), at warn by default: the SDK's own INFO lines
    // (bundling, worker state) drown the summary below; LOG_LEVEL=info brings them back.
    Runtime.install({ logger: temporalLogger(createLogger({ level: process.env.LOG_LEVEL ?? 'warn' })) });
    const client = await step(connectClient({ address }));
    stops.unshift(() => client.connection.close());
    const { connection, namespace } = await step(connectWorkerConnection({ address }));
    const worker: Worker = await step(createWorker({ connection, namespace, taskQueue, activityDeps: { integrations: runtime.integrations, callbacks: runtime.config.callbacks, github: runtime.config.github }, tuning: runtime.config.worker }));
    const workerRun = worker.run();
    // Settled either way: a worker that stops on its own is reported below, not as an unhandled rejection.
    const workerEnded = workerRun.then(
      () => 'The worker stopped',
      (err: unknown) => `The worker stopped: ${(err as Error).message}`,
    );
    stops.unshift(async () => {
      // The SDK's own SIGINT/SIGTERM handler has usually begun the shutdown already (a second call throws).
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerEnded;
      await connection.close();
    });

    // The server verifies clicks with the configured Slack apps' signing secrets and routes them to the features.
    const slackOAuth = sandbox
      ? slackOAuthFrom(runtime, { clientId: sandbox.oauthApp.clientId, clientSecret: sandbox.oauthApp.clientSecret, stateSecret, apiUrl: sandbox.apiUrl })
      : slackOAuthFrom(runtime);
    const app = await step(buildServer(serverDepsFrom(runtime, client, { logger: { level: process.env.LOG_LEVEL ?? 'warn' }, slackOAuth })));
    stops.unshift(() => app.close());
    await step(app.listen({ port, host: '127.0.0.1' }));

    // A first run, so the Temporal UI lists a workflow the stack just ran.
    const handle = await step(
      client.workflow.start('selfCheck', {
        taskQueue,
        workflowId: `signalroom-self-check-${new Date().toISOString().replace(/[:.]/g, '-')}`,
        staticSummary: 'Signalroom self-check: worker and Temporal are connected',
      }),
    );
    const result = await step(handle.result());

    const http = `http://127.0.0.1:${port}`;
    if (devServer) {
      writeDevFile(dataDir, {
        pid: process.pid,
        temporal: { address: devServer.address, namespace, pid: devServer.process.pid, uiUrl: devServer.uiUrl },
        taskQueue,
        http,
        ...(sandbox ? { sandbox: { apiUrl: sandbox.apiUrl, pageUrl: sandbox.pageUrl, botToken: sandbox.botToken, signingSecret: sandbox.signingSecret } } : {}),
      });
    }

    say('');
    say('Signalroom is running.');
    if (devServer?.uiUrl) say(`  Temporal UI     ${devServer.uiUrl}/namespaces/${namespace}/workflows`);
    say(`  Temporal        ${address ?? env.TEMPORAL_ADDRESS}  (namespace ${namespace}, task queue ${taskQueue})`);
    say(`  HTTP server     ${http}  (/slack/interactions, /api/v1, /healthz, /readyz, /metrics)`);
    if (slackOAuth) {
      // Starting an install needs a one-time link; dev prints one (`signalroom install-link` makes more).
      const link = await step(slackOAuth.installationStore.createInstallLink());
      say(`  Connect Slack   ${installLinkUrl(http, link.token)}  (one-time link, until ${link.expiresAt.toISOString()})`);
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
    if (devServer) {
      say('');
      say(`Another terminal in this folder finds this stack in ${path.relative(process.cwd(), devFilePath(dataDir)) || devFilePath(dataDir)} (the CLI and \`signalroom doctor\`). Anywhere else, paste:`);
      for (const line of exportLines({ address: devServer.address, namespace, taskQueue, dataDir, sandbox: Boolean(sandbox) })) say(`  ${line}`);
    }
    say('Press Ctrl-C to stop.');

    // Until a signal, or until the dev server or the worker stops by itself: then everything stops and dev fails.
    const serverExited = devServer
      ? new Promise<string>((resolve) => devServer!.process.once('exit', (code, signal) => resolve(`The Temporal dev server (pid ${devServer!.process.pid}) exited (${signal ?? `code ${code}`}); see ${path.join(dataDir, 'temporal-server.log')}`)))
      : new Promise<string>(() => {});
    const crash = await Promise.race([interrupted, serverExited, workerEnded]);
    if (!signalled) throw new Error(`${crash}: stopping Signalroom.`);
  }
}

/** The lines to paste into another shell so the CLI talks to this stack. */
export function exportLines(stack: { address: string; namespace: string; taskQueue: string; dataDir: string; sandbox: boolean }): string[] {
  const lines = [`export TEMPORAL_ADDRESS=${stack.address} TEMPORAL_NAMESPACE=${stack.namespace}`];
  if (stack.taskQueue !== 'signalroom') lines.push(`export SIGNALROOM_TASK_QUEUE=${stack.taskQueue}`);
  if (stack.sandbox) lines.push(`export SIGNALROOM_DATA_DIR=${stack.dataDir}   # for signalroom doctor: the sandbox's credentials`);
  return lines;
}

/**
 * What already listens where the dev server would, said so a person can act:
 * a server an earlier `dev` left (killed outright, it could not stop it), with
 * its pid and how to stop it, or something else. Never silently used: its
 * history, namespace and settings may not be this folder's.
 */
async function leftoverServer(dataDir: string, ip: string, port: number): Promise<string | undefined> {
  if (!(await listening(ip, port))) return undefined;
  const where = `${ip}:${port}`;
  const earlier = readDevFileAt(dataDir);
  if (earlier && alive(earlier.pid) && earlier.pid !== process.pid) {
    return `Another signalroom dev (pid ${earlier.pid}) is running with this data folder and its Temporal dev server holds ${where}: use that one, or stop it (Ctrl-C in its terminal, or \`kill ${earlier.pid}\`).`;
  }
  const serverPid = earlier?.temporal?.address === where ? earlier.temporal.pid : undefined;
  if (serverPid && alive(serverPid)) {
    return `A Temporal dev server left by an earlier signalroom dev (pid ${serverPid}) still holds ${where}: stop it with \`kill ${serverPid}\` and start again, or start on another port (--temporal-port).`;
  }
  return `Something already listens on ${where} (another Temporal server?): stop it, or start on another port (--temporal-port, TEMPORAL_DEV_PORT); to use a Temporal you run yourself, set TEMPORAL_ADDRESS=${where}.`;
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
