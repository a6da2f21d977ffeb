/**
 * Attack: probe the approvals API with what it must refuse — a decision from
 * someone who is not an approver, a decision on an approval that is already
 * final, an approval that does not exist, a request naming an approver group
 * nobody configured — hoping one of them is answered as something else: a
 * 500 that hides whether it took effect, or a refusal that still records the
 * decision. The refusals are errors of the approvals port (src/approvals/
 * errors.ts), thrown by the service and mapped once by the server; each must
 * reach the caller as its stable code and change nothing.
 */
import { REJECT_ACTION } from '../../../core/slack/blocks/approval-card';
import { card } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

const PIPELINE = 'refusals-pipeline-0123456789abcd';
// A token bound to erin, who is in no approver group.
const ERIN = 'refusals-erin-0123456789abcdefgh';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({
    apiTokens: [
      { name: 'pipeline', token: PIPELINE, permissions: ['approvals:write', 'approvals:read'] },
      { name: 'erin-laptop', token: ERIN, permissions: ['approvals:read', 'approvals:decide'], slackUser: 'U0ERIN' },
    ],
  });
});
afterAll(() => s?.close());

async function pending(): Promise<string> {
  const execution = `refusals-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/approvals', PIPELINE, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['release'], channel: CHANNEL, timeout: '10m' });
  expect(res.status).toBe(201);
  await eventually('the card', () => card(s.sandbox, execution));
  return String(res.body.id);
}

test("an outsider's decision is refused as a refusal (409), and nothing is recorded", async () => {
  const id = await pending();
  const res = await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, ERIN, { verb: 'approve' });
  expect(res.status).toBe(409);
  expect(res.body).toMatchObject({ error: 'refused', message: expect.stringContaining('not an approver') });
  const view = await s.api('GET', `/approvals/${encodeURIComponent(id)}`, PIPELINE);
  expect(view.body).toMatchObject({ status: 'pending', decisions: [] });
});

test('a decision on an approval that is already final is refused (409) and does not change its outcome', async () => {
  const id = await pending();
  const ts = card(s.sandbox, id.split(':').pop()!)!.ts;
  await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: ts, actionId: REJECT_ACTION });
  await eventually('the rejection', async () => (await s.api('GET', `/approvals/${encodeURIComponent(id)}`, PIPELINE)).body.status === 'rejected');
  const late = await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, ERIN, { verb: 'approve' });
  expect(late.status).toBe(409);
  expect(late.body.error).toBe('refused');
  expect((await s.api('GET', `/approvals/${encodeURIComponent(id)}`, PIPELINE)).body).toMatchObject({ status: 'rejected', decisions: [expect.objectContaining({ verb: 'reject', user: expect.objectContaining({ id: 'U0CAROL' }) })] });
});

test('an approval that does not exist is 404, for reading and for deciding', async () => {
  const id = encodeURIComponent('approval:web:prod:no-such-run');
  expect(await s.api('GET', `/approvals/${id}`, PIPELINE)).toMatchObject({ status: 404, body: { error: 'not_found' } });
  expect(await s.api('POST', `/approvals/${id}/decisions`, ERIN, { verb: 'approve' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
});

test('a request naming an approver group nobody configured is 422 naming the field, and starts nothing', async () => {
  const execution = `refusals-unknown-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/approvals', PIPELINE, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['my-friends'], channel: CHANNEL, timeout: '10m' });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ error: 'unprocessable_entity', field: 'body.approverGroups' });
  expect(await s.api('GET', `/approvals/${encodeURIComponent(`approval:web:prod:${execution}`)}`, PIPELINE)).toMatchObject({ status: 404 });
});
