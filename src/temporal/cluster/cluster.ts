/**
 * `signalroom cluster up|down|status`: the production topology on one
 * machine. N Temporal server nodes (each running frontend, history, matching
 * and worker) on loopback, sharing one PostgreSQL for persistence and
 * visibility. They find each other through Temporal's membership table and
 * share the history shards between them; a node that dies loses its shards to
 * the others and takes its share back when `cluster up` starts it again.
 *
 * Everything a running cluster needs to be found again lives in
 * `<data-dir>/cluster.json`: node ports (fixed for the cluster's life, so a
 * restarted node comes back where clients expect it), process ids and logs.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { stringify } from 'yaml';
import { DYNAMIC_CONFIG_FILE } from '../dynamic-config';
import { freePortInRange } from '../free-port';
import { registerSearchAttributes } from '../setup';
import { clusterDatabase, connectAddress, connectionLimit, readClusterView, setUpSchemas, DEFAULT_DATABASE_URL, type ClusterDatabase } from './postgres';
import { obtainTemporalServer, TEMPORAL_SERVER_VERSION, type TemporalServerBinaries } from './server-binary';


/** Fixed for a cluster's life: Temporal cannot change the shard count of existing data. */
const HISTORY_SHARDS = 16;
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
type Service = (typeof SERVICES)[number];

export interface ClusterNode {
  name: string;
  /** The frontend's gRPC address: what workers, the server and the CLI connect to. */
  frontend: string;
  ports: Record<Service, { grpc: number; membership: number }> & { http: number };
  pid?: number;
  logFile: string;
  /** Chosen but never served: its ports may still change (clients know a node's frontend once it served). */
  fresh?: true;
}

export interface ClusterState {
  temporalServerVersion: string;
  namespace: string;
  /** Where Temporal's databases live (no password: that stays in DATABASE_URL and the nodes' config files). */
  database: { address: string; user: string; database: string; visibilityDatabase: string };
  nodes: ClusterNode[];
}

export interface ClusterOptions {
  dataDir: string;
  /** @default 2 */
  nodes?: number;
  /** @default 'default' */
  namespace?: string;
  /** @default $DATABASE_URL, else the machine's PostgreSQL on 127.0.0.1:5432 as postgres */
  databaseUrl?: string;
  /** Name of Temporal's database (`<name>_visibility` beside it). @default 'signalroom_temporal' */
  databaseName?: string;
  log?: (line: string) => void;
  cacheDir?: string;
}

const stateFile = (dataDir: string) => path.join(dataDir, 'cluster.json');

export function readClusterState(dataDir: string): ClusterState | undefined {
  const file = stateFile(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : undefined;
}

function writeClusterState(dataDir: string, state: ClusterState): void {
  writeFileSync(stateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`);
}

export function isRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function resolveDatabase(options: ClusterOptions): ClusterDatabase {
  return clusterDatabase(options.databaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, options.databaseName ?? 'signalroom_temporal');
}

async function newNode(dataDir: string, index: number, others: readonly ClusterNode[]): Promise<ClusterNode> {
  const name = `node-${index + 1}`;
  return { name, ...(await nodePorts(others)), logFile: path.join(dataDir, name, 'temporal.log'), fresh: true };
}

/** Below the OS's ephemeral range (src/temporal/free-port.ts). */
const NODE_PORT_RANGE = [20_000, 32_000] as const;

/** Every port a node listens on. */
export function portsOf(node: Pick<ClusterNode, 'ports'>): number[] {
  return [node.ports.http, ...SERVICES.flatMap((s) => [node.ports[s].grpc, node.ports[s].membership])];
}

/**
 * Nine free ports for a node, none another node of the cluster was given: a
 * port is checked free and closed again, so without this a node not started
 * yet, or two services of one node, could be given the same one, and the
 * second to listen would die with "address already in use".
 */
export async function nodePorts(others: readonly Pick<ClusterNode, 'ports'>[], range: readonly [number, number] = NODE_PORT_RANGE): Promise<Pick<ClusterNode, 'frontend' | 'ports'>> {
  const given = new Set(others.flatMap(portsOf));
  const port = async () => {
    const chosen = await freePortInRange(range[0], range[1], '127.0.0.1', given);
    given.add(chosen);
    return chosen;
  };
  const ports = { http: await port() } as ClusterNode['ports'];
  for (const service of SERVICES) ports[service] = { grpc: await port(), membership: await port() };
  return { frontend: `127.0.0.1:${ports.frontend.grpc}`, ports };
}

/** A node's port was free when chosen and is held by another process now: the user's to free (exit 1). */
export class PortTakenError extends Error {
  constructor(node: ClusterNode, port: number) {
    super(
      `Temporal ${node.name} could not listen on 127.0.0.1:${port}: another process holds it. ` +
        `A node keeps its ports for the cluster's life (its clients know its frontend, ${node.frontend}): stop that process, then run cluster up again.`,
    );
  }
}

/** How many times a node that never served takes other ports when one it was given is taken. */
const FRESH_PORT_TRIES = 3;

/** The port Temporal could not bind, from the part of its log written since `from` (bytes). */
function portTakenIn(logFile: string, from: number): number | undefined {
  let written = '';
  try {
    written = readFileSync(logFile).subarray(from).toString('utf8');
  } catch {
    return undefined;
  }
  const match = /listen tcp [^\s"]*:(\d+): bind: address already in use/.exec(written);
  return match ? Number(match[1]) : undefined;
}

/**
 * Each node's connection pools (README, "The production topology without
 * Docker"). Every service of a node (frontend, history, matching, worker)
 * opens its own pool per datastore, so a node holds up to
 * SERVICES × (default + visibility) maxConns. Temporal's sample values (20
 * and 10, idle as many) let a 2-node cluster keep 84 of PostgreSQL's default
 * 100 connections open while idle, and a Signalroom process on the same
 * PostgreSQL then found none. These fit several nodes and the Signalroom
 * processes beside them in the default 100.
 */
export const NODE_POOLS = {
  default: { maxConns: 5, maxIdleConns: 2 },
  visibility: { maxConns: 2, maxIdleConns: 1 },
} as const;

/** The most connections one node may open: each service's pools full. */
export const NODE_MAX_CONNECTIONS = SERVICES.length * (NODE_POOLS.default.maxConns + NODE_POOLS.visibility.maxConns);

/** The node's `config/development.yaml`: the shape of Temporal's own development-postgres12.yaml, on loopback. */
function nodeConfig(node: ClusterNode, db: ClusterDatabase, seedFrontend: string): string {
  const datastore = (database: string, pool: { maxConns: number; maxIdleConns: number }) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: connectAddress(db),
      connectProtocol: 'tcp',
      user: db.user,
      password: db.password,
      maxConns: pool.maxConns,
      maxIdleConns: pool.maxIdleConns,
      maxConnLifetime: '1h',
    },
  });
  const services = Object.fromEntries(
    SERVICES.map((s) => [
      s,
      { rpc: { grpcPort: node.ports[s].grpc, membershipPort: node.ports[s].membership, bindOnLocalHost: true, ...(s === 'frontend' ? { httpPort: node.ports.http } : {}) } },
    ]),
  );
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: { default: datastore(db.database, NODE_POOLS.default), visibility: datastore(db.visibilityDatabase, NODE_POOLS.visibility) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: seedFrontend } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: DYNAMIC_CONFIG_FILE, pollInterval: '10s' },
  });
}

function startNode(binaries: TemporalServerBinaries, node: ClusterNode, db: ClusterDatabase, seedFrontend: string): number {
  const root = path.dirname(node.logFile);
  mkdirSync(path.join(root, 'config'), { recursive: true, mode: 0o700 });
  // Holds the database password: readable by its owner only.
  writeFileSync(path.join(root, 'config', 'development.yaml'), nodeConfig(node, db, seedFrontend), { mode: 0o600 });
  const log = openSync(node.logFile, 'a');
  try {
    const child = spawn(binaries.server, ['--root', root, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    if (!child.pid) throw new Error(`Could not start ${binaries.server}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function waitForFrontend(node: ClusterNode, deadline: number, check: (c: Connection) => Promise<unknown>): Promise<void> {
  let lastError = '';
  while (Date.now() < deadline) {
    if (!isRunning(node.pid)) throw new Error(`Temporal ${node.name} exited during start; its log: ${node.logFile}\n${tail(node.logFile)}`);
    try {
      const connection = await Connection.connect({ address: node.frontend, connectTimeout: 2000 });
      try {
        await connection.withDeadline(Date.now() + 5000, () => check(connection));
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`Temporal ${node.name} did not answer on ${node.frontend} in time (${lastError}); its log: ${node.logFile}\n${tail(node.logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts the cluster, or the nodes of an existing one that are not running
 * (same ports: a node that died rejoins where its clients expect it).
 * Idempotent: schemas, namespace and search attributes are created only when missing.
 */
export async function clusterUp(options: ClusterOptions): Promise<ClusterState> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const previous = readClusterState(dataDir);
  const db = resolveDatabase({ ...options, databaseName: options.databaseName ?? previous?.database.database });
  if (previous && (connectAddress(db) !== previous.database.address || db.database !== previous.database.database)) {
    throw new Error(
      `The cluster in ${dataDir} keeps its state in ${previous.database.database} on ${previous.database.address}, not ${db.database} on ${connectAddress(db)}: ` +
        'set DATABASE_URL (and --database) to that PostgreSQL, or use another --data-dir for a new cluster.',
    );
  }
  const binaries = await obtainTemporalServer({ log, cacheDir: options.cacheDir });

  const wanted = options.nodes ?? previous?.nodes.length ?? 2;
  const nodes = previous?.nodes.slice(0, wanted) ?? [];
  for (let i = nodes.length; i < wanted; i++) nodes.push(await newNode(dataDir, i, nodes));
  const state: ClusterState = {
    temporalServerVersion: TEMPORAL_SERVER_VERSION,
    namespace: options.namespace ?? previous?.namespace ?? 'default',
    database: { address: connectAddress(db), user: db.user, database: db.database, visibilityDatabase: db.visibilityDatabase },
    nodes,
  };

  log(`Setting up Temporal's schemas on PostgreSQL ${connectAddress(db)} (databases ${db.database}, ${db.visibilityDatabase}).`);
  await setUpSchemas(db, binaries, log);
  const limit = await connectionLimit(db);
  const most = nodes.length * NODE_MAX_CONNECTIONS;
  // Room for the Signalroom processes beside the nodes: their installation stores share this PostgreSQL when pointed at it.
  if (most > limit.forClients - 20) {
    log(
      `Warning: ${nodes.length} Temporal nodes may hold up to ${most} connections, and PostgreSQL ${connectAddress(db)} allows ${limit.forClients} ` +
        `(max_connections ${limit.maxConnections}): raise max_connections, or give Signalroom's installation store a PostgreSQL of its own (SIGNALROOM_DATABASE_URL).`,
    );
  }

  const deadline = Date.now() + 120_000;
  // One node at a time: each joins the ring the ones before it formed.
  for (const node of nodes) {
    if (isRunning(node.pid)) continue;
    await startServing(node, nodes, { binaries, db, deadline, log, saved: () => writeClusterState(dataDir, state) });
  }
  writeClusterState(dataDir, state);

  await registerNamespace(nodes[0], state.namespace, deadline);
  // Every frontend must know the namespace (each refreshes its cache on its own) and its search attributes.
  for (const node of nodes) {
    await waitForFrontend(node, deadline, async (c) => {
      const { customAttributes } = await c.operatorService.listSearchAttributes({ namespace: state.namespace });
      if (!customAttributes?.SignalroomKind) throw new Error('search attributes not visible yet');
    });
  }
  log(`Temporal cluster up: ${nodes.length} nodes, namespace ${state.namespace}, frontends ${nodes.map((n) => n.frontend).join(', ')}.`);
  return state;
}

/**
 * Starts `node`, one of `nodes`, and waits until its frontend answers. Its ports were free when
 * chosen, which may be long before (other nodes start first), and another
 * process, or another cluster starting beside this one, may have taken one
 * since: a node that never served then takes other ports; one that served
 * keeps its own, and the user is told which is held.
 */
async function startServing(
  node: ClusterNode,
  nodes: readonly ClusterNode[],
  run: { binaries: TemporalServerBinaries; db: ClusterDatabase; deadline: number; log: (line: string) => void; saved: () => void },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    run.log(`Starting Temporal ${node.name} (frontend ${node.frontend}; log ${node.logFile}).`);
    const logFrom = existsSync(node.logFile) ? statSync(node.logFile).size : 0;
    // The first node is the seed the others join (it may itself have just moved).
    node.pid = startNode(run.binaries, node, run.db, nodes[0].frontend);
    run.saved();
    try {
      await waitForFrontend(node, run.deadline, (c) => c.workflowService.getSystemInfo({}));
      delete node.fresh;
      return;
    } catch (err) {
      const taken = isRunning(node.pid) ? undefined : portTakenIn(node.logFile, logFrom);
      if (taken === undefined) throw err;
      if (!node.fresh) throw new PortTakenError(node, taken);
      if (attempt >= FRESH_PORT_TRIES) throw err;
      run.log(`Port 127.0.0.1:${taken} was taken before ${node.name} could listen on it: ${node.name} takes other ports.`);
      Object.assign(node, await nodePorts(nodes.filter((n) => n !== node)));
    }
  }
}

async function registerNamespace(node: ClusterNode, namespace: string, deadline: number): Promise<void> {
  await waitForFrontend(node, deadline, async (connection) => {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
    } catch (err) {
      if (!/already exists|AlreadyExists/i.test((err as Error).message)) throw err;
    }
    await registerSearchAttributes(connection, namespace);
  });
}

/** Stops every node: SIGTERM, then SIGKILL after `graceMs`. Data stays in PostgreSQL for the next `up`. */
export async function clusterDown(options: { dataDir: string; graceMs?: number; log?: (line: string) => void }): Promise<ClusterState | undefined> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = path.resolve(options.dataDir);
  const state = readClusterState(dataDir);
  if (!state) return undefined;
  await Promise.all(
    state.nodes.map(async (node) => {
      if (!isRunning(node.pid)) return;
      log(`Stopping Temporal ${node.name} (pid ${node.pid}).`);
      await stopProcess(node.pid!, options.graceMs ?? 15_000);
    }),
  );
  for (const node of state.nodes) node.pid = undefined;
  writeClusterState(dataDir, state);
  return state;
}

export async function stopProcess(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

export interface NodeStatus {
  name: string;
  frontend: string;
  pid?: number;
  running: boolean;
  /** Whether the frontend answers gRPC. */
  serving: boolean;
  /** Its history service's share of the shards, as Temporal's shard table records it. */
  shards: number[];
  logFile: string;
}

export interface ClusterStatus {
  dataDir: string;
  namespace: string;
  database: ClusterState['database'];
  nodes: NodeStatus[];
  /** Live ring members per role, from Temporal's membership table. */
  members: Record<string, string[]>;
}

export async function clusterStatus(options: { dataDir: string; databaseUrl?: string }): Promise<ClusterStatus | undefined> {
  const dataDir = path.resolve(options.dataDir);
  const state = readClusterState(dataDir);
  if (!state) return undefined;
  const configured = resolveDatabase({ dataDir, databaseUrl: options.databaseUrl, databaseName: state.database.database });
  // The cluster's own PostgreSQL, with DATABASE_URL's password when it names the same server.
  const db = connectAddress(configured) === state.database.address ? configured : { ...configured, ...splitAddress(state.database.address), user: state.database.user, password: '' };
  let view: Awaited<ReturnType<typeof readClusterView>> | undefined;
  try {
    view = await readClusterView(db);
  } catch {
    view = undefined;
  }
  const members = liveMembers(view?.members ?? [], state.nodes);
  const nodes = await Promise.all(
    state.nodes.map(async (node): Promise<NodeStatus> => {
      const running = isRunning(node.pid);
      const history = `127.0.0.1:${node.ports.history.grpc}`;
      return {
        name: node.name,
        frontend: node.frontend,
        pid: running ? node.pid : undefined,
        running,
        serving: running && (await answers(node.frontend)),
        shards: [...(view?.shardOwners ?? new Map<number, string>())].filter(([, owner]) => owner === history || owner.startsWith(`${history}-`)).map(([id]) => id),
        logFile: node.logFile,
      };
    }),
  );
  return { dataDir, namespace: state.namespace, database: state.database, nodes, members };
}

/**
 * The ring's members per role, without this cluster's stopped nodes.
 * Temporal's membership table keeps a stopped node's rows, with heartbeats
 * that look recent for a while (and for good after a SIGKILL): a member at
 * the address of one of our nodes counts only while that node's process
 * runs. A member at an address none of our nodes uses (another machine's
 * node on the same PostgreSQL) is listed as Temporal records it.
 */
export function liveMembers(rows: ReadonlyArray<{ role: string; address: string }>, nodes: ReadonlyArray<Pick<ClusterNode, 'pid' | 'ports'>>, running: (pid: number | undefined) => boolean = isRunning): Record<string, string[]> {
  const owner = new Map<string, Pick<ClusterNode, 'pid' | 'ports'>>();
  for (const node of nodes) {
    for (const service of SERVICES) for (const port of [node.ports[service].grpc, node.ports[service].membership]) owner.set(`${service} 127.0.0.1:${port}`, node);
  }
  const members: Record<string, string[]> = {};
  for (const m of rows) {
    const node = owner.get(`${m.role} ${m.address}`);
    if (node && !running(node.pid)) continue;
    (members[m.role] ??= []).push(m.address);
  }
  return members;
}

async function answers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2000 });
    try {
      await connection.withDeadline(Date.now() + 5000, () => connection.workflowService.getSystemInfo({}));
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}
