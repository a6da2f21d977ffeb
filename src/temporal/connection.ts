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

export interface TemporalTarget {
  /** host:port of the frontend; when set it wins over the environment. */
  address?: string;
  namespace?: string;
}

function connectConfig(target: TemporalTarget) {
  const config = loadClientConnectConfig();
  const connectionOptions = { ...config.connectionOptions };
  if (target.address) connectionOptions.address = target.address;
  const namespace = target.namespace ?? config.namespace ?? 'default';
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
async function dial<T>(address: string | undefined, connect: () => Promise<T>): Promise<T> {
  const where = address ?? 'localhost:7233';
  try {
    return await connect();
  } catch (err) {
    const cause = (err as { cause?: { details?: unknown } }).cause;
    const detail = [(err as Error).message, cause?.details].filter(Boolean).join(': ');
    if (refusedCredentials(err)) throw new Error(`Temporal at ${where} refused this connection's credentials: ${detail}`, { cause: err });
    throw new Unreachable(`cannot reach Temporal at ${where}: ${detail}`, err);
  }
}

export async function connectClient(target: TemporalTarget = {}): Promise<Client> {
  const { connectionOptions, namespace } = connectConfig(target);
  const connection = await dial(connectionOptions.address, () => Connection.connect(connectionOptions as Parameters<typeof Connection.connect>[0]));
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
