import net from 'node:net';

/** Asks the OS for a free TCP port on loopback (`port` 0: any). */
export function freePort(host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port in [from, to]: for ports a process keeps for life and must find
 * free again after a restart, chosen below the OS's ephemeral range (32768 and
 * up on Linux), where outgoing connections would take them. Temporal's
 * membership table also stores ports as a smallint (at most 32767). Ports in
 * `avoid` are never returned: ones chosen before for something not started yet.
 */
export async function freePortInRange(from: number, to: number, host = '127.0.0.1', avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    // Free now but already given out (closed again after the check, not yet listened on by its owner).
    if (avoid.has(port)) continue;
    try {
      return await freePort(host, port);
    } catch {
      // taken: try another
    }
  }
  throw new Error(`No free port between ${from} and ${to} on ${host}`);
}
