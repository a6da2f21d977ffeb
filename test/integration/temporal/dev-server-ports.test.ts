/**
 * The dev server's ports are picked free, then handed to the CLI: in
 * between, another process may take one (a parallel test's server, an
 * outgoing connection's ephemeral port). CI saw it once: the CLI exited
 * before it was ready. startDevServer then picks new ports and starts again.
 */
import net from 'node:net';
import { startDevServer } from '../../../src/temporal/dev-server';

// The second port asked for (the HTTP API's) is handed out while another process holds it.
let busyPort = 0;
let asked = 0;
jest.mock('../../../src/temporal/free-port', () => {
  const actual = jest.requireActual<typeof import('../../../src/temporal/free-port')>('../../../src/temporal/free-port');
  return { ...actual, freePort: jest.fn(async (...args: Parameters<typeof actual.freePort>) => (++asked === 2 ? busyPort : actual.freePort(...args))) };
});

jest.setTimeout(60_000);

test('a port taken between its pick and the start is picked again', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  busyPort = (holder.address() as net.AddressInfo).port;
  try {
    const server = await startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, headless: true });
    try {
      expect(server.httpPort).not.toBe(busyPort);
      expect(asked).toBeGreaterThan(3);
    } finally {
      await server.stop();
    }
  } finally {
    holder.close();
  }
});

test('a port the caller chose and cannot have is an error naming it', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as net.AddressInfo).port;
  asked = 10;
  try {
    await expect(startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, headless: true, port })).rejects.toThrow(new RegExp(`exited with code \\d+ before it was ready[\\s\\S]*${port}[\\s\\S]*address already in use`));
  } finally {
    holder.close();
  }
});
