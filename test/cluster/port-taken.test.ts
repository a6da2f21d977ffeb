/**
 * A port a node was given is taken by someone else before the node listens
 * on it. Seen in CI: node-2 of a cluster died with "bind: address already in
 * use" on a port chosen free while node-1 was still starting (node-1 itself
 * could have been given the same port: test/unit/ops/cluster-ports.test.ts);
 * `cluster up` exited 70, and every later `cluster up` would have tried the
 * same port again (cluster.json keeps it).
 *
 * A node that never served moves to other ports and the cluster comes up.
 * A node that served keeps its ports (its clients know its frontend): the
 * user is told which port is held and what to do, and nothing moves.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { portsOf, type ClusterNode, type ClusterState } from '../../src/temporal/cluster/cluster';
import { TEMPORAL_SERVER_VERSION } from '../../src/temporal/cluster/server-binary';
import { freePortInRange } from '../../src/temporal/free-port';
import { runSignalroom } from '../support/ops';
import { startTestPostgres, type TestPostgres } from './postgres';

jest.setTimeout(300_000);

let pg: TestPostgres;
let dir: string;
const clusterDir = () => path.join(dir, 'cluster');

/** The CLI as a user runs it, against the test's PostgreSQL. */
const signalroom = (args: string[]) => runSignalroom(args, { cwd: dir, env: { DATABASE_URL: pg.url }, timeoutMs: 240_000 });

/** Holds 127.0.0.1:`port` as another process would, until closed. */
async function hold(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

const release = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const state = () => JSON.parse(readFileSync(path.join(clusterDir(), 'cluster.json'), 'utf8')) as ClusterState;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-port-taken-'));
  pg = await startTestPostgres();
});

afterAll(async () => {
  if (dir) await signalroom(['cluster', 'down', '--data-dir', clusterDir()]);
  pg?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a node that never served, its port taken since it was chosen, moves to other ports and the cluster comes up', async () => {
  // What cluster.json holds after a `cluster up` that chose node-1's ports and stopped before starting it.
  const port = () => freePortInRange(20_000, 32_000);
  const membership = await port();
  const node: ClusterNode = {
    name: 'node-1',
    frontend: '',
    ports: {
      http: await port(),
      frontend: { grpc: await port(), membership },
      history: { grpc: await port(), membership: await port() },
      matching: { grpc: await port(), membership: await port() },
      worker: { grpc: await port(), membership: await port() },
    },
    logFile: path.join(clusterDir(), 'node-1', 'temporal.log'),
    fresh: true,
  };
  node.frontend = `127.0.0.1:${node.ports.frontend.grpc}`;
  const address = new URL(pg.url);
  const written: ClusterState = {
    temporalServerVersion: TEMPORAL_SERVER_VERSION,
    namespace: 'default',
    database: { address: `${address.hostname}:${address.port}`, user: decodeURIComponent(address.username), database: 'signalroom_temporal', visibilityDatabase: 'signalroom_temporal_visibility' },
    nodes: [node],
  };
  mkdirSync(clusterDir(), { recursive: true });
  writeFileSync(path.join(clusterDir(), 'cluster.json'), JSON.stringify(written));

  // Someone else listens on the node's membership port (ringpop's, as in CI).
  const holder = await hold(membership);
  try {
    const up = await signalroom(['cluster', 'up', '--json', '--data-dir', clusterDir()]);
    expect({ code: up.code, stderr: up.code ? up.stderr : '' }).toEqual({ code: 0, stderr: '' });
    expect(up.stderr).toContain(`Port 127.0.0.1:${membership} was taken before node-1 could listen on it: node-1 takes other ports.`);
    const [moved] = state().nodes;
    expect(portsOf(moved)).not.toContain(membership);
    expect(moved.fresh).toBeUndefined();
    expect((JSON.parse(up.stdout) as { frontends: string[] }).frontends).toEqual([moved.frontend]);
  } finally {
    await release(holder);
  }
});

test('a node that served keeps its ports: with one held, `cluster up` names it and exits 1, and comes up once it is free', async () => {
  const down = await signalroom(['cluster', 'down', '--data-dir', clusterDir()]);
  expect(down.code).toBe(0);
  const before = state().nodes[0];
  const taken = before.ports.frontend.membership;
  const holder = await hold(taken);
  try {
    const up = await signalroom(['cluster', 'up', '--data-dir', clusterDir()]);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(
      `signalroom: Temporal node-1 could not listen on 127.0.0.1:${taken}: another process holds it. ` +
        `A node keeps its ports for the cluster's life (its clients know its frontend, ${before.frontend}): stop that process, then run cluster up again.`,
    );
    expect(state().nodes[0].ports).toEqual(before.ports);
  } finally {
    await release(holder);
  }
  const again = await signalroom(['cluster', 'up', '--json', '--data-dir', clusterDir()]);
  expect({ code: again.code, stderr: again.code ? again.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect((JSON.parse(again.stdout) as { frontends: string[] }).frontends).toEqual([before.frontend]);
});
