/**
 * Runs `temporal server start-dev` as a child process: Signalroom's embedded
 * Temporal for `signalroom dev` and for the test suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from './search-attributes';
import { devServerDynamicConfigArgs } from './dynamic-config';
import { freePort } from './free-port';

export interface DevServerOptions {
  /** Path of the Temporal CLI binary (see obtainTemporalCli). */
  cliPath: string;
  /** gRPC frontend port. @default a free port */
  port?: number;
  /** Web UI port; omit with `headless`. @default 8233 */
  uiPort?: number;
  /** No Web UI (tests). @default false */
  headless?: boolean;
  /** SQLite file that keeps history across restarts; in-memory when omitted. */
  dbFile?: string;
  /** `--sqlite-pragma NAME=VALUE` for the file. @default DEV_SQLITE_PRAGMAS */
  sqlitePragmas?: Record<string, string>;
  /** @default 'default' */
  namespace?: string;
  /** @default '127.0.0.1' */
  ip?: string;
  /** Where the server's own log lines go. @default ignored */
  logFile?: NodeJS.WritableStream;
  /** Skip registering Signalroom's search attributes (to test `signalroom setup`). */
  withoutSearchAttributes?: boolean;
  /** Leave out deploy/temporal/dynamicconfig.yaml (Temporal's defaults: the bench's untuned baseline). */
  withoutDynamicConfig?: boolean;
  /** More dynamic config on top (the bench's floor variants), as `KEY: value`. */
  dynamicConfig?: Record<string, unknown>;
  /** How long to wait for the frontend to answer. @default 60s */
  readyTimeoutMs?: number;
}

/**
 * How the dev server keeps its SQLite file. SQLite's defaults (a rollback
 * journal, synchronous=FULL) sync the disk on every history write: measured
 * with bench/floor.ts, a 10-activity workflow took 3.9× as long as in memory.
 * In WAL mode with synchronous=NORMAL it runs at in-memory speed, and a
 * committed write still survives the process being killed (only a power loss
 * can take the last ones), which is what a development server needs.
 */
export const DEV_SQLITE_PRAGMAS: Readonly<Record<string, string>> = { journal_mode: 'wal', synchronous: 'normal' };

export interface RunningDevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? (await freePort(ip));
  const namespace = options.namespace ?? 'default';
  // The dev server also opens an HTTP API and a metrics port; pick them so a
  // second dev server (the developer's own on 7233) never collides with ours.
  const httpPort = await freePort(ip);
  const metricsPort = await freePort(ip);
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...(options.withoutSearchAttributes ? [] : devServerSearchAttributeArgs()),
    // Eager activity execution and the rest of deploy/temporal/dynamicconfig.yaml, as on every cluster Signalroom runs.
    ...(options.withoutDynamicConfig ? [] : devServerDynamicConfigArgs()),
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    for (const [name, value] of Object.entries(options.sqlitePragmas ?? DEV_SQLITE_PRAGMAS)) args.push('--sqlite-pragma', `${name}=${value}`);
  }
  let uiUrl: string | undefined;
  if (options.headless) args.push('--headless');
  else {
    const uiPort = options.uiPort ?? 8233;
    args.push('--ui-port', String(uiPort), '--ui-ip', ip);
    uiUrl = `http://localhost:${uiPort}`;
  }

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
    options.logFile?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });

  const address = `${ip}:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`The Temporal dev server exited with code ${exited} before it was ready:\n${output}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        break;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`The Temporal dev server did not answer on ${address} in time: ${(err as Error).message}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  return {
    address,
    namespace,
    uiUrl,
    process: child,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
