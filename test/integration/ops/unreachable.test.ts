/**
 * What an operator sees when the CLI cannot reach what it talks to: the
 * message names the service and its address, and the incident commands exit
 * 69 (sysexits' EX_UNAVAILABLE: retry later), not 70, which says Signalroom
 * itself went wrong. The approval commands keep their own table: 5. A
 * Temporal that answers but refuses the credentials is not "unreachable":
 * retrying will not help, so that stays an error (70) and says so.
 */
import http2 from 'node:http2';
import { freePort } from '../../../src/temporal/free-port';
import { runSignalroom } from '../../support/ops';

test('the incident commands name the Signalroom API they cannot reach and exit 69', async () => {
  const api = `http://127.0.0.1:${await freePort()}`;
  const run = await runSignalroom(['incident', 'status', 'INC-1', '--api', api, '--token', 'unreachable-token-0123456789abcdef']);
  expect(run.stderr).toBe(`signalroom: cannot reach the Signalroom API at ${api}: ECONNREFUSED\n`);
  expect(run.code).toBe(69);
});

test('a Temporal that does not answer is named with its address within seconds: incident commands exit 69, approval commands 5', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const env = { TEMPORAL_ADDRESS: address, SIGNALROOM_API_URL: undefined, SIGNALROOM_CONNECT_TIMEOUT: undefined };
  // The CLI's connect deadline is 3 s (SIGNALROOM_CONNECT_TIMEOUT), not the SDK's 10: a pipeline learns at once.
  const started = Date.now();
  const [incident, approval] = await Promise.all([runSignalroom(['incident', 'status', 'INC-1'], { env }), runSignalroom(['approval', 'status', 'approval:web:prod:1'], { env })]);
  expect(Date.now() - started).toBeLessThan(7_000);
  expect(incident.stderr).toBe(`signalroom: cannot reach Temporal at ${address}: no answer within 3s (SIGNALROOM_CONNECT_TIMEOUT)\n`);
  expect(incident.code).toBe(69);
  expect(approval.stderr).toBe(`signalroom approval: cannot reach Temporal at ${address}: no answer within 3s (SIGNALROOM_CONNECT_TIMEOUT)\n`);
  expect(approval.code).toBe(5);
});

test('SIGNALROOM_CONNECT_TIMEOUT sets how long the CLI waits for Temporal; a value that is not a duration is named', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const started = Date.now();
  const quick = await runSignalroom(['incident', 'status', 'INC-1'], { env: { TEMPORAL_ADDRESS: address, SIGNALROOM_API_URL: undefined, SIGNALROOM_CONNECT_TIMEOUT: '1s' } });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(quick.stderr).toBe(`signalroom: cannot reach Temporal at ${address}: no answer within 1s (SIGNALROOM_CONNECT_TIMEOUT)\n`);
  expect(quick.code).toBe(69);
  const bad = await runSignalroom(['incident', 'status', 'INC-1'], { env: { TEMPORAL_ADDRESS: address, SIGNALROOM_API_URL: undefined, SIGNALROOM_CONNECT_TIMEOUT: 'soon' } });
  expect(bad.stderr).toContain('SIGNALROOM_CONNECT_TIMEOUT');
  expect(bad.code).toBe(70);
});

test('the worker names what failed in a sentence, not the transport library\'s debug text, and exits 69', async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const worker = await runSignalroom(['worker'], { env: { TEMPORAL_ADDRESS: address, SIGNALROOM_API_URL: undefined } });
  expect(worker.stderr).toBe(`signalroom: cannot reach Temporal at ${address}: the connection was refused (nothing listens there)\n`);
  expect(worker.code).toBe(69);
  const nowhere = await runSignalroom(['worker'], { env: { TEMPORAL_ADDRESS: 'temporal.invalid:7233', SIGNALROOM_API_URL: undefined } });
  expect(nowhere.stderr).toMatch(/^signalroom: cannot reach Temporal at temporal\.invalid:7233: the host name temporal\.invalid does not resolve/);
  expect(nowhere.stderr).not.toMatch(/tonic|ConnectError|Os \{/);
  expect(nowhere.code).toBe(69);
});

/** A gRPC endpoint that refuses every call as UNAUTHENTICATED, as Temporal Cloud answers a bad API key. */
async function refusingTemporal(): Promise<{ address: string; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '16', 'grpc-message': 'API key invalid' }));
    stream.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('a Temporal that refuses the credentials is named as refusing them, for the client and the worker alike, and exits 70', async () => {
  const temporal = await refusingTemporal();
  try {
    const env = { TEMPORAL_ADDRESS: temporal.address, SIGNALROOM_API_URL: undefined };
    const [incident, worker] = await Promise.all([runSignalroom(['incident', 'status', 'INC-1'], { env }), runSignalroom(['worker'], { env })]);
    for (const run of [incident, worker]) {
      expect(run.stderr).toMatch(new RegExp(`^signalroom: Temporal at ${temporal.address} refused this connection's credentials: .*API key invalid`));
      expect(run.code).toBe(70);
    }
  } finally {
    await temporal.close();
  }
});
