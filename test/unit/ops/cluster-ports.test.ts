/**
 * A node's ports are checked free and closed again before the node listens
 * on them, so the check alone lets two services of a node, or two nodes not
 * started yet, be given the same port; the second to listen then dies with
 * "address already in use" (CI, test/cluster/port-taken.test.ts).
 */
import { nodePorts, portsOf } from '../../../src/temporal/cluster/cluster';
import { freePortInRange } from '../../../src/temporal/free-port';

/** Nine ports, exactly what one node needs: any port given twice leaves one of them out. */
async function nineFreePorts(): Promise<[number, number]> {
  for (;;) {
    const from = await freePortInRange(20_000, 31_990);
    const all = await Promise.all(Array.from({ length: 9 }, (_, i) => freePortInRange(from + i, from + i).catch(() => undefined)));
    if (all.every((p) => p !== undefined)) return [from, from + 8];
  }
}

test('a node is given nine different ports, even from a range of nine', async () => {
  const range = await nineFreePorts();
  for (let round = 0; round < 5; round++) {
    const node = await nodePorts([], range);
    expect(new Set(portsOf(node)).size).toBe(9);
    expect(node.frontend).toBe(`127.0.0.1:${node.ports.frontend.grpc}`);
  }
});

test('a node is never given a port another node of the cluster has, started or not', async () => {
  const range = await nineFreePorts();
  const first = await nodePorts([], [range[0], range[1]]);
  // The first node is not listening yet: its ports are all free, and all given.
  await expect(nodePorts([first], range)).rejects.toThrow(`No free port between ${range[0]} and ${range[1]} on 127.0.0.1`);
  const wider: [number, number] = [range[0], range[1] + 30];
  const second = await nodePorts([first], wider);
  expect(portsOf(second).filter((p) => portsOf(first).includes(p))).toEqual([]);
});
