/**
 * Callbacks (README, "Pipelines"): a request's `callback` URL is POSTed the
 * outcome once decided, signed with `callbacks.signingSecret`, through the
 * outbound client, and retried as an activity. The receiver here is on
 * 127.0.0.1, named in `outbound.privateHosts` as a user would name an
 * internal CI host.
 */
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallback } from '../../../src/callbacks/signature';
import { API_TOKEN, APPROVER_GROUPS, CHANNEL, card, eventually, uniqueExecution } from '../../support/approvals';
import { callbackReceiver, type Receiver } from '../../support/callback-receiver';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { runSignalroom } from '../../support/ops';

const SECRET = 'callback-signing-secret-0123456789';
let s: ServerStack;
let rx: Receiver;

beforeAll(async () => {
  rx = await callbackReceiver();
  s = await serverStack(() => ({
    approverGroups: APPROVER_GROUPS,
    callbacks: { signingSecret: SECRET },
    outbound: { privateHosts: [rx.host] },
    api: { tokens: [{ name: 'ci', token: API_TOKEN, permissions: ['approvals:write', 'approvals:read', 'approvals:decide', 'approvals:decide-as-anyone'] }] },
  }));
});
afterAll(async () => {
  await s?.close();
  await rx?.close();
});

/** Asks with a callback to `path`, approves (or rejects) as carol, and waits for the final view. */
async function decided(path: string, verb: 'approve' | 'reject' = 'approve') {
  const execution = uniqueExecution('cb');
  const created = await s.api('POST', '/approvals', API_TOKEN, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], channel: CHANNEL, timeout: '10m', callback: `${rx.url}${path}` });
  expect(created.status).toBe(201);
  const id = String(created.body.id);
  await eventually('the card', () => card(s.sandbox, execution));
  expect((await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, API_TOKEN, { verb, user: 'U0CAROL', ...(verb === 'reject' ? { reason: 'not today' } : {}) })).status).toBe(200);
  const final = await s.api('GET', `/approvals/${encodeURIComponent(id)}/wait?timeout=60s`, API_TOKEN);
  expect(final.status).toBe(200);
  return { id, final: final.body, calls: rx.received.filter((r) => r.path === path) };
}

test('the receiver gets the signed outcome once per decision, and verifies the signature', async () => {
  const { id, final, calls } = await decided('/resume/1');
  expect(final).toMatchObject({ status: 'approved', proceed: true });
  expect(final.problems).toBeUndefined();
  expect(calls).toHaveLength(1);
  const [call] = calls;
  expect(call).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json', 'x-signalroom-delivery': id } });
  expect(verifyCallback(SECRET, { timestamp: call!.headers[TIMESTAMP_HEADER] as string, signature: call!.headers[SIGNATURE_HEADER] as string }, call!.body)).toBe(true);
  // Another secret, or a body changed in transit, does not verify.
  expect(verifyCallback('someone-elses-secret-0123456789', { timestamp: call!.headers[TIMESTAMP_HEADER] as string, signature: call!.headers[SIGNATURE_HEADER] as string }, call!.body)).toBe(false);
  expect(verifyCallback(SECRET, { timestamp: call!.headers[TIMESTAMP_HEADER] as string, signature: call!.headers[SIGNATURE_HEADER] as string }, call!.body.replace('"proceed":true', '"proceed":false'))).toBe(false);
  expect(JSON.parse(call!.body)).toMatchObject({ event: 'approval.decided', approvalId: id, status: 'approved', proceed: true, decisions: [expect.objectContaining({ verb: 'approve', user: expect.objectContaining({ id: 'U0CAROL' }), via: 'api' })], inputs: {} });
});

test('a rejection is told too, with proceed false and the reason', async () => {
  const { final, calls } = await decided('/resume/2', 'reject');
  expect(final).toMatchObject({ status: 'rejected', proceed: false });
  expect(calls).toHaveLength(1);
  expect(JSON.parse(calls[0]!.body)).toMatchObject({ status: 'rejected', proceed: false, decisions: [expect.objectContaining({ verb: 'reject', reason: 'not today' })] });
});

test('a receiver answering 500, then 200, gets the outcome after a retry; the outcome has no problem', async () => {
  rx.answer('/flaky', 500, 200);
  const { final, calls } = await decided('/flaky');
  expect(final).toMatchObject({ status: 'approved', proceed: true });
  expect(final.problems).toBeUndefined();
  expect(calls.map((c) => c.headers['x-signalroom-delivery'])).toEqual([final.id, final.id]);
  expect(calls[1]!.body).toBe(calls[0]!.body);
});

test('a receiver answering 404 is a problem beside the outcome, which stands; it is not tried again', async () => {
  rx.answer('/gone', 404);
  const { final, calls } = await decided('/gone');
  expect(final).toMatchObject({ status: 'approved', proceed: true, problems: [expect.stringMatching(/^callback: not told: the callback at 127\.0\.0\.1:\d+ answered HTTP 404$/)] });
  expect(calls).toHaveLength(1);
});

test('the CLI asks with --callback (through the API) and the receiver is told', async () => {
  const execution = uniqueExecution('cb-cli');
  const run = await runSignalroom(
    ['approval', 'request', '--pipeline', 'api', '--stage', 'prod', '--execution', execution, '--approvers', 'release', '--channel', CHANNEL, '--timeout', '10m', '--callback', `${rx.url}/cli`, '--api', s.serverUrl, '--token', API_TOKEN],
    { env: { TEMPORAL_ADDRESS: undefined, SIGNALROOM_CONFIG: undefined } },
  );
  expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining(`approval:api:prod:${execution}`) });
  const id = `approval:api:prod:${execution}`;
  await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, API_TOKEN, { verb: 'approve', user: 'U0CAROL' });
  await s.api('GET', `/approvals/${encodeURIComponent(id)}/wait?timeout=60s`, API_TOKEN);
  expect(rx.received.filter((r) => r.path === '/cli').map((r) => JSON.parse(r.body).approvalId)).toEqual([id]);
});
