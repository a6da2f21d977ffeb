/**
 * `signalroom cluster up|down|status`: a local multi-node Temporal cluster on
 * PostgreSQL, the production topology without Docker (see src/temporal/cluster).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { clusterDown, clusterStatus, clusterUp, PortTakenError } from '../temporal/cluster/cluster';
import { PostgresUnreachableError } from '../temporal/cluster/postgres';
import { GoNotFoundError, obtainTemporalServer } from '../temporal/cluster/server-binary';

interface CommonOptions {
  dataDir?: string;
  json?: boolean;
}

const defaultDataDir = () => path.join(process.env.SIGNALROOM_DATA_DIR ?? 'data', 'cluster');

export function registerClusterCommands(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('A local Temporal cluster of several nodes on PostgreSQL (DATABASE_URL, else 127.0.0.1:5432), built from the pinned server with Go');

  cluster
    .command('up')
    .description('Start the cluster in the background (or the nodes of it that are not running), set up the schemas, the namespace and the search attributes')
    .option('--nodes <n>', 'number of Temporal nodes', parseCount)
    .option('--data-dir <dir>', 'where the nodes keep their config, logs and the cluster state (default $SIGNALROOM_DATA_DIR/cluster, else data/cluster)')
    .option('--namespace <name>', 'the namespace Signalroom runs in', 'default')
    .option('--database <name>', "Temporal's database on that PostgreSQL, its visibility database beside it as <name>_visibility (default signalroom_temporal, or the existing cluster's)")
    .option('--json', 'print the frontends and process ids as JSON (progress goes to stderr)')
    .action(async (opts: CommonOptions & { nodes?: number; namespace: string; database?: string }) => {
      const log = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
      const state = await exit1WhenUsersToFix(() =>
        clusterUp({ dataDir: opts.dataDir ?? defaultDataDir(), nodes: opts.nodes, namespace: opts.namespace, databaseName: opts.database, log }),
      );
      if (!state) return;
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ namespace: state.namespace, frontends: state.nodes.map((n) => n.frontend), nodes: state.nodes.map(({ name, frontend, pid, logFile }) => ({ name, frontend, pid, logFile })) })}\n`,
        );
        return;
      }
      for (const node of state.nodes) log(`  ${node.name}  frontend ${node.frontend}  pid ${node.pid}  log ${node.logFile}`);
      log('');
      log('Point Signalroom at it (any frontend will do; put a load balancer in front of them in production):');
      log(`  export TEMPORAL_ADDRESS=${state.nodes[0].frontend} TEMPORAL_NAMESPACE=${state.namespace}`);
      log('  signalroom worker & signalroom worker & signalroom server');
    });

  cluster
    .command('build')
    .description('Find or build (with Go, cached beside the Temporal CLI) the pinned Temporal server and SQL tool, and print their paths')
    .action(async () => {
      const binaries = await exit1WhenUsersToFix(() => obtainTemporalServer());
      if (binaries) process.stdout.write(`${binaries.server}\n${binaries.sqlTool}\n`);
    });

  cluster
    .command('status')
    .description('Show each node (process, frontend, its history shards) and the ring members Temporal records; exit 1 unless every node serves')
    .option('--data-dir <dir>', 'the cluster data directory')
    .option('--json', 'print the status as JSON')
    .action(async (opts: CommonOptions) => {
      const status = await clusterStatus({ dataDir: opts.dataDir ?? defaultDataDir() });
      if (!status) {
        process.stderr.write(`No cluster in ${path.resolve(opts.dataDir ?? defaultDataDir())}: start one with signalroom cluster up\n`);
        process.exitCode = 1;
        return;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else {
        process.stdout.write(`Namespace ${status.namespace} on PostgreSQL ${status.database.address} (${status.database.database}, ${status.database.visibilityDatabase})\n`);
        for (const node of status.nodes) {
          const state = node.serving ? 'serving' : node.running ? 'starting' : 'stopped';
          process.stdout.write(`  ${node.name}  ${state.padEnd(8)} frontend ${node.frontend}  pid ${node.pid ?? '-'}  shards [${node.shards.join(', ')}]\n`);
        }
        for (const [role, members] of Object.entries(status.members)) process.stdout.write(`  ring ${role.padEnd(8)} ${members.join(', ')}\n`);
      }
      if (!status.nodes.every((n) => n.serving)) process.exitCode = 1;
    });

  cluster
    .command('down')
    .description('Stop every node (the data stays in PostgreSQL for the next up)')
    .option('--data-dir <dir>', 'the cluster data directory')
    .option('--json', 'print the stopped nodes as JSON')
    .action(async (opts: CommonOptions) => {
      const log = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
      const state = await clusterDown({ dataDir: opts.dataDir ?? defaultDataDir(), log });
      if (!state) log(`No cluster in ${path.resolve(opts.dataDir ?? defaultDataDir())}.`);
      else if (opts.json) process.stdout.write(`${JSON.stringify({ stopped: state.nodes.map((n) => n.name) })}\n`);
      else log(`Stopped ${state.nodes.length} Temporal nodes.`);
    });
}

/** Go missing, PostgreSQL unreachable or a node's port held by another process is the user's to fix, not a failure of Signalroom: say how, exit 1. */
async function exit1WhenUsersToFix<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof GoNotFoundError || err instanceof PostgresUnreachableError || err instanceof PortTakenError)) throw err;
    process.stderr.write(`signalroom: ${err.message}\n`);
    process.exitCode = 1;
    return undefined;
  }
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`not a node count from 1 to 9: ${value}`);
  return n;
}
