/**
 * /api/v1/approvals on the real server, worker and sandbox: create (201,
 * then 200 with the same id), read, long-poll, decide, cancel — each route's
 * success and error codes, and the card people see changing with them.
 */
import { approvalStack, API_TOKEN, buttons, card, CHANNEL, eventually, READ_TOKEN, uniqueExecution, visibleText, type ApprovalStack } from '../../support/approvals';

let stack: ApprovalStack;
beforeAll(async () => {
  stack = await approvalStack();
});
afterAll(() => stack?.close());

async function api(method: string, path: string, body?: unknown, token = API_TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.serverUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const create = (execution: string, extra: Record<string, unknown> = {}) =>
  api('POST', '/approvals', { pipeline: 'api', stage: 'production', execution, approverGroups: ['release'], channel: '#deploys', timeout: '5m', ...extra });

test('create is idempotent on pipeline, stage and execution: 201, then 200 with the same id and one card', async () => {
  const execution = uniqueExecution();
  const first = await create(execution);
  expect(first).toEqual({ status: 201, body: { id: `approval:api:production:${execution}`, created: true } });
  const again = await create(execution);
  expect(again).toEqual({ status: 200, body: { id: first.body.id, created: false } });
  await eventually('the card', () => card(stack.sandbox, execution));
  expect(stack.sandbox.messages(CHANNEL).filter((m) => m.text.includes(`(${execution})`))).toHaveLength(1);
});

test('a build number a pipeline templates in unquoted is the execution, as text', async () => {
  const build = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  const res = await api('POST', '/approvals', { pipeline: 'api', stage: 'production', execution: build, approverGroups: ['release'], channel: '#deploys', timeout: '5m' });
  expect(res).toEqual({ status: 201, body: { id: `approval:api:production:${build}`, created: true } });
  expect(await api('POST', `/approvals/${res.body.id}/cancel`, { reason: 'test over' })).toMatchObject({ status: 200, body: { accepted: true } });
});

test('read, decide through the API (refused then accepted), wait returns the result', async () => {
  const execution = uniqueExecution();
  const { body } = await create(execution, { minApprovals: 2, approverGroups: ['release', 'sre'] });
  const id = body.id as string;

  // Once the card is posted, the approvers are resolved.
  const state = await eventually('the posted state', async () => {
    const r = await api('GET', `/approvals/${id}`, undefined, READ_TOKEN);
    return r.status === 200 && r.body.message !== undefined && r;
  });
  expect(state.body).toMatchObject({ id, status: 'pending', pipeline: 'api', stage: 'production', execution, approvals: 0, needed: 2, approvers: { release: ['U0CAROL', 'U0DAVE'], sre: ['U0ALICE'] } });

  const pending = await api('GET', `/approvals/${id}/wait?timeout=1s`, undefined, READ_TOKEN);
  expect(pending.status).toBe(202);
  expect(pending.body).toMatchObject({ id, status: 'pending' });

  const outsider = await api('POST', `/approvals/${id}/decisions`, { verb: 'approve', user: 'U0ERIN' });
  expect(outsider).toEqual({ status: 409, body: { error: 'refused', message: 'Not recorded: you are not an approver for this request (approver groups: release, sre).' } });

  expect(await api('POST', `/approvals/${id}/decisions`, { verb: 'approve', user: 'U0CAROL' })).toEqual({ status: 200, body: { accepted: true, status: 'pending', message: 'Your approval is recorded (1 of 2).' } });
  await eventually('the card to show 1 of 2', () => visibleText(card(stack.sandbox, execution)!).includes('1 of 2'));

  const waiting = api('GET', `/approvals/${id}/wait?timeout=20s`, undefined, READ_TOKEN);
  expect(await api('POST', `/approvals/${id}/decisions`, { verb: 'approve', user: 'U0ALICE' })).toMatchObject({ status: 200, body: { accepted: true, status: 'approved' } });
  const done = await waiting;
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ id, status: 'approved', proceed: true, approvals: 2, inputs: {} });
  expect((done.body.decisions as Array<{ user: { id: string }; via: string }>).map((d) => [d.user.id, d.via])).toEqual([
    ['U0CAROL', 'api'],
    ['U0ALICE', 'api'],
  ]);
  expect((done.body.refused as Array<{ user: { id: string } }>).map((r) => r.user.id)).toEqual(['U0ERIN']);
  await eventually('the card to lose its buttons', () => buttons(card(stack.sandbox, execution)!).length === 0);

  // Final: decisions and cancels are refused with 409; GET and wait answer 200 at once.
  expect(await api('POST', `/approvals/${id}/decisions`, { verb: 'reject', user: 'U0DAVE', reason: 'late' })).toMatchObject({ status: 409, body: { error: 'refused', message: expect.stringContaining('already approved') } });
  expect(await api('POST', `/approvals/${id}/cancel`, {})).toMatchObject({ status: 409, body: { error: 'refused' } });
  expect(await api('GET', `/approvals/${id}`, undefined, READ_TOKEN)).toMatchObject({ status: 200, body: { status: 'approved', proceed: true } });
  expect((await api('GET', `/approvals/${id}/wait`, undefined, READ_TOKEN)).status).toBe(200);
});

test('a rejection that needs a reason is refused without one; cancel changes the card', async () => {
  const execution = uniqueExecution();
  const { body } = await create(execution, { rejectionNeedsReason: true });
  const id = body.id as string;
  expect(await api('POST', `/approvals/${id}/decisions`, { verb: 'reject', user: 'U0CAROL' })).toEqual({ status: 409, body: { error: 'refused', message: 'Not recorded: a rejection needs a reason.' } });

  expect(await api('POST', `/approvals/${id}/cancel`, { by: 'U0ERIN', reason: 'superseded' })).toEqual({ status: 200, body: { accepted: true, status: 'cancelled', message: 'Cancelled.' } });
  await eventually('the card to say cancelled', () => {
    const c = card(stack.sandbox, execution);
    return c && visibleText(c).includes('Cancelled by <@U0ERIN>: superseded') && buttons(c).length === 0;
  });
  expect(await api('GET', `/approvals/${id}/wait?timeout=5s`, undefined, READ_TOKEN)).toMatchObject({ status: 200, body: { status: 'cancelled', proceed: false } });
});

test('a failed approval reads as 200 with status failed and the reason, on GET and on wait', async () => {
  const execution = uniqueExecution();
  const { body } = await create(execution, { channel: '#deplyos' });
  const id = body.id as string;
  const failed = await eventually('the approval to fail', async () => {
    const r = await api('GET', `/approvals/${id}`, undefined, READ_TOKEN);
    return r.body.status !== 'pending' && r;
  });
  expect(failed.status).toBe(200);
  expect(failed.body).toMatchObject({ id, status: 'failed', pipeline: 'api', stage: 'production', execution, reason: expect.stringContaining('Channel #deplyos does not exist') });
  const waited = await api('GET', `/approvals/${id}/wait?timeout=5s`, undefined, READ_TOKEN);
  expect(waited.status).toBe(200);
  expect(waited.body).toMatchObject({ id, status: 'failed', reason: expect.stringContaining('Channel #deplyos does not exist') });
});

test('unknown approvals are 404 on every route', async () => {
  const id = 'approval-nope-nope-nope';
  for (const [method, path, body] of [
    ['GET', `/approvals/${id}`, undefined],
    ['GET', `/approvals/${id}/wait?timeout=1s`, undefined],
    ['POST', `/approvals/${id}/decisions`, { verb: 'approve', user: 'U0CAROL' }],
    ['POST', `/approvals/${id}/cancel`, {}],
  ] as const) {
    expect(await api(method, path, body)).toEqual({ status: 404, body: { error: 'not_found', message: `No approval "${id}"` } });
  }
});

test('bad input names the field: 422 for values that cannot be used, 400 for a malformed body', async () => {
  const execution = uniqueExecution();
  expect(await create(execution, { approverGroups: ['release', 'nobody'] })).toEqual({
    status: 422,
    body: { error: 'unprocessable_entity', field: 'body.approverGroups', message: 'approverGroups: unknown approver group "nobody" (configured: release, sre, lenient)' },
  });
  expect(await create(execution, { timeout: 'soon' })).toMatchObject({ status: 422, body: { field: 'body.timeout' } });
  expect(await create(execution, { escalation: { after: '10m', approverGroups: ['ghosts'] } })).toMatchObject({ status: 422, body: { field: 'body.escalation.approverGroups' } });
  expect(await create(execution, { channel: undefined })).toMatchObject({ status: 422, body: { field: 'channel' } });
  expect(await create(execution, { webhook: 'deploys' })).toMatchObject({ status: 422, body: { field: 'webhook' } });
  expect(await create(execution, { channel: undefined, webhook: 'unknown-hook' })).toMatchObject({ status: 422, body: { field: 'body.destination.webhook' } });
  expect(await create(execution, { inputs: [{ name: 'reason', label: 'Why' }] })).toMatchObject({ status: 422, body: { field: 'body.inputs.0.name' } });
  expect(await create(execution, { stage: undefined })).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'body.stage' } });
  expect(await create(execution, { minApprovals: 0 })).toMatchObject({ status: 400, body: { field: 'body.minApprovals' } });

  const wait = await api('GET', '/approvals/anything/wait?timeout=10m', undefined, READ_TOKEN);
  expect(wait).toMatchObject({ status: 422, body: { field: 'querystring.timeout' } });
  expect(await api('POST', '/approvals/anything/decisions', { verb: 'maybe', user: 'U0CAROL' })).toMatchObject({ status: 400, body: { field: 'body.verb' } });
  expect(await api('POST', '/approvals/anything/decisions', { verb: 'approve', user: 'carol' })).toMatchObject({ status: 400, body: { field: 'body.user' } });
  // Nothing was started by any of these.
  expect(card(stack.sandbox, execution)).toBeUndefined();
});

test('permissions: reading needs approvals:read, creating approvals:write, deciding approvals:decide', async () => {
  expect(await api('POST', '/approvals', { pipeline: 'a', stage: 'b', execution: 'c', approverGroups: ['release'], channel: '#deploys' }, READ_TOKEN)).toMatchObject({
    status: 403,
    body: { message: 'The token "dashboard" lacks the permission approvals:write.' },
  });
  expect(await api('POST', '/approvals/x/decisions', { verb: 'approve', user: 'U0CAROL' }, READ_TOKEN)).toMatchObject({ status: 403, body: { message: expect.stringContaining('approvals:decide') } });
  expect(await api('POST', '/approvals/x/cancel', {}, READ_TOKEN)).toMatchObject({ status: 403 });
  expect((await api('GET', '/approvals/x', undefined, 'not-a-token-at-all-000')).status).toBe(401);
});
