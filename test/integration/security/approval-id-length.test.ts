/**
 * A pipeline names its approval with long (allowed) parts: 200 characters
 * each of pipeline, stage and execution. Creation took it (201) and every
 * call that names the approval by id answered 414: the pipeline could never
 * read, wait on or decide the approval it had started. One bound now holds
 * for creation and for the id in a path.
 */
import { MAX_APPROVAL_ID_LENGTH } from '../../../src/approvals/client';
import { API_TOKEN, approvalStack, CHANNEL, type ApprovalStack } from '../../support/approvals';

let s: ApprovalStack;
beforeAll(async () => {
  s = await approvalStack();
});
afterAll(() => s?.close());

test('an approval created with the longest parts is read, waited on and cancelled by its id', async () => {
  const part = (c: string) => `${c}${Date.now().toString(36)}`.padEnd(200, c);
  const created = await s.api('POST', '/approvals', API_TOKEN, { pipeline: part('p'), stage: part('s'), execution: part('e'), approverGroups: ['release'], channel: CHANNEL, timeout: '10m' });
  expect(created.status).toBe(201);
  const id = encodeURIComponent(String(created.body.id));
  expect(String(created.body.id).length).toBeGreaterThan(600);
  expect(String(created.body.id).length).toBeLessThanOrEqual(MAX_APPROVAL_ID_LENGTH);
  expect((await s.api('GET', `/approvals/${id}`, API_TOKEN)).status).toBe(200);
  expect((await s.api('GET', `/approvals/${id}/wait?timeout=1s`, API_TOKEN)).status).toBe(202);
  expect(await s.api('POST', `/approvals/${id}/cancel`, API_TOKEN, { by: 'U0CAROL' })).toMatchObject({ status: 200, body: { accepted: true } });
});

test('parts whose id would pass the bound are refused at creation (422 naming it), not started to be unreachable', async () => {
  // ':' is percent-encoded in an id: 200 of them are 600 characters, and two such parts are 1,200.
  const created = await s.api('POST', '/approvals', API_TOKEN, { pipeline: ':'.repeat(200), stage: ':'.repeat(200), execution: `${Date.now()}`, approverGroups: ['release'], channel: CHANNEL, timeout: '10m' });
  expect(created.status).toBe(422);
  expect(created.body).toMatchObject({ error: 'unprocessable_entity', message: expect.stringContaining(`at most ${MAX_APPROVAL_ID_LENGTH}`) });
});
