/**
 * A callback URL that points inside: a token holder asks for an approval
 * whose `callback` is a loopback port (an internal admin endpoint), a
 * `localhost` name, or the cloud-metadata address, so that the worker POSTs
 * to it once decided. A callback goes through the outbound client's address
 * rules, and a URL they would refuse is refused where the request enters:
 * 422 naming `callback`, CLI exit 64, no approval started, nothing called.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_TOKEN, APPROVER_GROUPS, CHANNEL, uniqueExecution } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { runSignalroom } from '../../support/ops';

const SECRET = 'callback-signing-secret-0123456789';
let s: ServerStack;
let inside: http.Server;
let port: number;
const reached: string[] = [];

beforeAll(async () => {
  // An internal service on loopback, which nothing in the configuration names.
  inside = http.createServer((req, res) => {
    reached.push(`${req.method} ${req.url}`);
    res.end('ok');
  });
  await new Promise<void>((r) => inside.listen(0, '127.0.0.1', r));
  port = (inside.address() as AddressInfo).port;
  s = await serverStack(() => ({
    approverGroups: APPROVER_GROUPS,
    callbacks: { signingSecret: SECRET },
    api: { tokens: [{ name: 'ci', token: API_TOKEN, permissions: ['approvals:write', 'approvals:read', 'approvals:decide', 'approvals:decide-as-anyone'] }] },
  }));
});
afterAll(async () => {
  await s?.close();
  await new Promise((r) => inside?.close(r));
});

const ask = (execution: string, callback: string) => s.api('POST', '/approvals', API_TOKEN, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], channel: CHANNEL, timeout: '10m', callback });

test.each([
  ['a loopback port', () => `http://127.0.0.1:${port}/internal/admin`, 'is a loopback address'],
  ['localhost by name', () => `http://localhost:${port}/internal/admin`, 'resolves to a loopback address'],
  ['an IPv4-mapped loopback', () => `http://[::ffff:127.0.0.1]:${port}/internal/admin`, 'loopback address'],
  ['the cloud-metadata address', () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', 'cloud metadata'],
])('a callback URL that points inside (%s) is refused with 422 naming callback, and nothing starts', async (_what, url, why) => {
  const execution = uniqueExecution('inside');
  const res = await ask(execution, url());
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ error: 'unprocessable_entity', field: 'body.callback', message: expect.stringContaining(why) });
  expect((await s.api('GET', `/approvals/${encodeURIComponent(`approval:api:prod:${execution}`)}`, API_TOKEN)).status).toBe(404);
  expect(reached).toEqual([]);
});

test('the CLI is refused the same (exit 64), through the API', async () => {
  const execution = uniqueExecution('inside-cli');
  const run = await runSignalroom(
    ['approval', 'request', '--pipeline', 'api', '--stage', 'prod', '--execution', execution, '--approvers', 'release', '--channel', CHANNEL, '--callback', `http://127.0.0.1:${port}/internal/admin`, '--api', s.serverUrl, '--token', API_TOKEN],
    { env: { TEMPORAL_ADDRESS: undefined, SIGNALROOM_CONFIG: undefined } },
  );
  expect(run.code).toBe(64);
  expect(run.stderr).toContain('is a loopback address');
  expect((await s.api('GET', `/approvals/${encodeURIComponent(`approval:api:prod:${execution}`)}`, API_TOKEN)).status).toBe(404);
  expect(reached).toEqual([]);
});

test('a callback that is not http(s), or carries credentials, is refused before anything is resolved', async () => {
  expect((await ask(uniqueExecution('inside'), 'file:///etc/passwd')).status).toBe(400);
  const creds = await ask(uniqueExecution('inside'), 'https://user:pass@ci.example.com/resume');
  expect(creds).toMatchObject({ status: 422, body: { field: 'body.callback', message: expect.stringContaining('user name or password') } });
});
