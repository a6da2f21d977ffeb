/**
 * Runs `temporal server start-dev` as a child process: Signalroom's embedded
 * Temporal for `signalroom dev` and for the test suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from '../../workflows/search-attributes';
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
  /** A file the server's own log lines are appended to, readable by this user only (0600). */
  logPath?: string;
  /**
   * Answer Temporal's HTTP API. Off, every call to it is refused (403), since
   * a web page in the developer's browser can send it a `text/plain` POST
   * from any Origin (SECURITY.md). @default false
   */
  httpApi?: boolean;
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
  /** The port of Temporal's HTTP API (refusing every call unless started with `httpApi`). */
  httpPort: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts in all, when a port picked here is taken before the CLI binds it. */
const PORT_ATTEMPTS = 3;

/** The CLI could not bind a port this process picked for it: new ports may do. */
class PickedPortTaken extends Error {}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  if (options.dbFile) privateFolder(path.dirname(options.dbFile));
  if (options.logPath) privateFolder(path.dirname(options.logPath));
  const logFile = options.logFile ?? (options.logPath ? privateLog(options.logPath) : undefined);
  // A port is free when picked and taken only when the CLI binds it: in between, another
  // process can take it (a parallel test's server, an outgoing connection). Then new ones are picked.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, logFile);
    } catch (err) {
      if (!(err instanceof PickedPortTaken) || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}

async function startOnce(options: DevServerOptions, logFile: NodeJS.WritableStream | undefined): Promise<RunningDevServer> {
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
    // The CLI (v1.5.1) always opens the HTTP API and cannot turn it off; with no allowed Host, it refuses
    // every request that names one — any a browser sends — with 403 "Host not allowed".
    ...(options.httpApi ? [] : ['--dynamic-config-value', 'frontend.httpAllowedHosts=[]']),
  ];
  if (options.dbFile) {
    // The history holds every workflow's inputs and results: an older world-readable file becomes private too.
    privateFiles(options.dbFile);
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

  // The child inherits the umask: the SQLite files it creates (temporal.db, -wal, -shm) are 0600.
  // (A worker thread may not set it: the files are then made private once the server answers.)
  let umask: number | undefined;
  try {
    umask = process.umask(0o077);
  } catch {
    umask = undefined;
  }
  let child: ChildProcess;
  try {
    child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    if (umask !== undefined) process.umask(umask);
  }
  endsWithThisProcess(child);
  // What it printed, for an error: the start (a panic's cause comes first) and the end.
  const KEEP = 4000;
  let head = '';
  let tail = '';
  let total = 0;
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    total += text.length;
    if (head.length < KEEP) head += text.slice(0, KEEP - head.length);
    tail = (tail + text).slice(-KEEP);
    logFile?.write(chunk);
  };
  const output = () => (total <= KEEP ? tail : total <= 2 * KEEP ? head + tail.slice(2 * KEEP - total) : `${head}\n…\n${tail}`);
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
      const printed = output();
      const callersPortTaken = options.port !== undefined && printed.includes(`${ip}:${options.port}: bind`);
      const message = `The Temporal dev server exited with code ${exited} before it was ready:\n${printed}`;
      throw printed.includes('address already in use') && !callersPortTaken ? new PickedPortTaken(message) : new Error(message);
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
        throw new Error(`The Temporal dev server did not answer on ${address} in time: ${(err as Error).message}\n${output()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  if (options.dbFile) privateFiles(options.dbFile);
  return {
    address,
    namespace,
    uiUrl,
    httpPort,
    process: child,
    stop: () => stopChild(child),
  };
}

/** The SQLite file and its companions, readable by this user only. */
function privateFiles(dbFile: string): void {
  for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

/** A folder only this user can list (0700), made so or made so now. */
function privateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Appends to `file`, readable by this user only (0600), an older file included. */
function privateLog(file: string): NodeJS.WritableStream {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  return createWriteStream(file, { flags: 'a', mode: 0o600 });
}

/** Dev servers this process started and that still run. */
const children = new Set<ChildProcess>();

/**
 * A dev server never outlives the process that started it: one still running
 * when the process exits (a crash, a start interrupted by a signal before
 * anyone could stop it) is sent SIGTERM then. Only a SIGKILLed parent leaves
 * it behind, and `signalroom dev` names such a server at its next start.
 */
function endsWithThisProcess(child: ChildProcess): void {
  if (children.size === 0) process.once('exit', killChildren);
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    if (children.size === 0) process.off('exit', killChildren);
  });
}

function killChildren(): void {
  for (const child of children) child.kill('SIGTERM');
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
