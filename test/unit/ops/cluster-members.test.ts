/**
 * The ring `cluster status` shows: Temporal's membership rows, without the
 * rows of this cluster's stopped nodes (they keep recent-looking heartbeats
 * after `cluster down` or a crash). The end-to-end check, against a real
 * node, is test/cluster/status-after-down.test.ts.
 */
import { liveMembers } from '../../../src/temporal/cluster/cluster';

const ports = (base: number) => ({
  frontend: { grpc: base, membership: base + 1 },
  history: { grpc: base + 2, membership: base + 3 },
  matching: { grpc: base + 4, membership: base + 5 },
  worker: { grpc: base + 6, membership: base + 7 },
  http: base + 8,
});
const node1 = { pid: 101, ports: ports(7000) };
const node2 = { pid: 102, ports: ports(8000) };
const rows = [
  { role: 'frontend', address: '127.0.0.1:7001' },
  { role: 'history', address: '127.0.0.1:7003' },
  { role: 'frontend', address: '127.0.0.1:8001' },
  { role: 'history', address: '127.0.0.1:8002' },
  // Another machine's node on the same PostgreSQL.
  { role: 'history', address: '10.0.0.9:7234' },
];

test('a stopped node’s rows are left out; a running node’s and a foreign node’s are kept', () => {
  const running = (pid: number | undefined) => pid === 102;
  expect(liveMembers(rows, [node1, node2], running)).toEqual({ frontend: ['127.0.0.1:8001'], history: ['127.0.0.1:8002', '10.0.0.9:7234'] });
});

test('after down, nothing of the cluster is in the ring', () => {
  expect(liveMembers(rows.slice(0, 4), [{ ports: node1.ports }, { ports: node2.ports }], () => false)).toEqual({});
});
