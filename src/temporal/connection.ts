/**
 * Connects to Temporal the way every Temporal tool does: the SDK's standard
 * environment variables and profile file (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE …) through
 * @temporalio/envconfig, so Temporal Cloud and mTLS need no Signalroom setting.
 */
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Unreachable } from '../errors';
import { formatDuration, parseDuration } from '../../core/runbook/duration';
import { runningDev } from '../config/dev-file';

/**
 * How long a client waits for Temporal to answer before it says it cannot
 * reach it (the SDK's own default is 10 s, and a pipeline step would sit that
 * long on a typo'd address). SIGNALROOM_CONNECT_TIMEOUT changes it (`10s`).
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

export function connectTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SIGNALROOM_CONNECT_TIMEOUT;
  if (text === undefined || text === '') return DEFAULT_CONNECT_TIMEOUT_MS;
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch {
    // named below
  }
  throw new Error(`SIGNALROOM_CONNECT_TIMEOUT must be a duration like 3s or 500ms, got ${JSON.stringify(text)}`);
}

export interface TemporalTarget {
  /** host:port of the frontend; when set it wins over the environment. */
  address?: string;
  namespace?: string;
}

/**
 * The environment's Temporal, else the dev server of a `signalroom dev`
 * running in this folder (its data/dev.json): a second terminal beside dev
 * needs no TEMPORAL_ADDRESS, whichever port dev runs on.
 */
function connectConfig(target: TemporalTarget) {
  const config = loadClientConnectConfig();
  const connectionOptions = { ...config.connectionOptions };
  const dev = target.address || clusterConfiguredInEnvironment() ? undefined : runningDev()?.temporal;
  const address = target.address ?? dev?.address;
  if (address) connectionOptions.address = address;
  const namespace = target.namespace ?? (dev && !process.env.TEMPORAL_NAMESPACE ? dev.namespace : undefined) ?? config.namespace ?? 'default';
  return { connectionOptions, namespace };
}

/** True when the environment names a cluster, so no dev server should be started. */
export function clusterConfiguredInEnvironment(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE || env.TEMPORAL_CONFIG_FILE);
}

/** gRPC's UNAUTHENTICATED and PERMISSION_DENIED: Temporal answered, and refused the credentials. */
function refusedCredentials(err: unknown): boolean {
  const cause = (err as { cause?: { code?: unknown; details?: unknown } }).cause;
  if (cause?.code === 16 || cause?.code === 7) return true;
  // The worker's native connection reports the status only in its message, in the words of Rust's gRPC (tonic).
  return /does not have valid authentication credentials|does not have permission to execute/.test(String((err as Error).message));
}

/**
 * Dials, and names the address when it fails: the SDK says only "Failed to
 * connect before the deadline". A Temporal that answered but refused the
 * credentials is not unreachable (retrying will not help): that stays an error.
 */
async function dial<T>(address: string | undefined, connect: () => Promise<T>, timeoutMs?: number): Promise<T> {
  const where = address ?? 'localhost:7233';
  try {
    return await connect();
  } catch (err) {
    const cause = (err as { cause?: { details?: unknown } }).cause;
    const detail = [(err as Error).message, cause?.details].filter(Boolean).join(': ');
    if (refusedCredentials(err)) throw new Error(`Temporal at ${where} refused this connection's credentials: ${detail}`, { cause: err });
    throw new Unreachable(`cannot reach Temporal at ${where}: ${whatFailed(detail, where, timeoutMs)}`, err);
  }
}

/**
 * Why a connection failed, as a sentence. The client's SDK says only "Failed
 * to connect before the deadline"; the worker's native one prints the Rust
 * transport's debug text (`tonic::transport::Error(Transport,
 * ConnectError(… Os { code: 111, kind: ConnectionRefused … }))`).
 */
export function whatFailed(detail: string, where: string, timeoutMs?: number): string {
  if (/Failed to connect before the deadline/i.test(detail) && timeoutMs !== undefined) return `no answer within ${formatDuration(timeoutMs)} (SIGNALROOM_CONNECT_TIMEOUT)`;
  if (!/tonic|ConnectError|Os \{/.test(detail)) return detail;
  if (/ConnectionRefused|Connection refused/i.test(detail)) return 'the connection was refused (nothing listens there)';
  const host = where.replace(/:\d+$/, '');
  if (/dns error|failed to lookup address|Name or service not known|nodename nor servname/i.test(detail)) return `the host name ${host} does not resolve`;
  if (/timed out|Timeout|deadline/i.test(detail)) return 'no answer in time';
  if (/ConnectionReset|reset by peer/i.test(detail)) return 'the connection was reset (is that a Temporal frontend?)';
  if (/HostUnreachable|NetworkUnreachable|No route to host|Network is unreachable/i.test(detail)) return 'no route to that address';
  if (/certificate|tls|InvalidCertificate/i.test(detail)) return 'the TLS handshake failed (check TEMPORAL_TLS_* or the address)';
  // Anything else: the innermost message the transport gave, without its type names.
  const os = /message: "([^"]+)"/.exec(detail)?.[1];
  return os ? `the connection failed: ${os}` : 'the connection failed';
}

export async function connectClient(target: TemporalTarget = {}): Promise<Client> {
  const { connectionOptions, namespace } = connectConfig(target);
  const timeoutMs = connectTimeoutMs();
  const connection = await dial(connectionOptions.address, () => Connection.connect({ ...(connectionOptions as Parameters<typeof Connection.connect>[0]), connectTimeout: timeoutMs }), timeoutMs);
  return new Client({ connection, namespace });
}

export async function connectWorkerConnection(target: TemporalTarget = {}): Promise<{ connection: NativeConnection; namespace: string }> {
  const { connectionOptions, namespace } = connectConfig(target);
  // Loaded here, not at the top: the worker package is heavy and the CLI's client commands never need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NativeConnection } = require('@temporalio/worker') as typeof import('@temporalio/worker');
  const connection = await dial(connectionOptions.address, () => NativeConnection.connect(connectionOptions));
  return { connection, namespace };
}

/** A client that dials on first use, so a process (the HTTP server) starts and reports readiness while Temporal is still down. */
export function lazyClient(target: TemporalTarget = {}): Client {
  const { connectionOptions, namespace } = connectConfig(target);
  return new Client({ connection: Connection.lazy(connectionOptions as Parameters<typeof Connection.lazy>[0]), namespace });
}

/** Runs `fn` with a client connected from the environment, and closes it after (the CLI's one-shot commands). */
export async function withTemporalClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient();
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
