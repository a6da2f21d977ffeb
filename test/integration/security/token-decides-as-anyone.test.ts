/**
 * Attack: a pipeline's API token with `approvals:decide` records a decision
 * as carol, and the record does not say which token made it. And: a token
 * configured without permissions gets every permission.
 */
import { ConfigSchema } from '../../../src/config/schema';
import { approvalStateQuery } from '../../../workflows/messages';
import { card } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

const PIPELINE = 'pipeline-token-0123456789abcdef';
const DAVE = 'dave-bound-token-0123456789abcd';
const BARE = 'bare-token-without-permissions-01';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({
    apiTokens: [
      { name: 'pipeline', token: PIPELINE, permissions: ['approvals:write', 'approvals:read', 'approvals:decide'] },
      { name: 'dave-laptop', token: DAVE, permissions: ['approvals:read', 'approvals:decide'], slackUser: 'U0DAVE' },
      { name: 'bare', token: BARE },
    ],
  });
});
afterAll(() => s?.close());

async function pending(): Promise<string> {
  const execution = `tok-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/approvals', PIPELINE, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['release'], minApprovals: 2, channel: CHANNEL, timeout: '10m' });
  await eventually('the card', () => card(s.sandbox, execution));
  return String(res.body.id);
}

test('a token bound to no Slack user cannot decide as carol: 403, nothing recorded', async () => {
  const id = await pending();
  const res = await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, PIPELINE, { verb: 'approve', user: 'U0CAROL' });
  expect(res.status).toBe(403);
  expect(res.body.message).toContain('approvals:decide-as-anyone');
  const state = await s.client.workflow.getHandle(id).query(approvalStateQuery);
  expect(state.decisions).toEqual([]);
  expect(state.refused).toEqual([]);
});

test("dave's token decides as dave only, and the decision records the token", async () => {
  const id = await pending();
  const asCarol = await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, DAVE, { verb: 'approve', user: 'U0CAROL' });
  expect(asCarol.status).toBe(403);
  expect(asCarol.body.message).toBe('The token "dave-laptop" decides as U0DAVE only; deciding as U0CAROL needs the permission approvals:decide-as-anyone.');
  const asDave = await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, DAVE, { verb: 'approve' });
  expect(asDave).toEqual({ status: 200, body: { accepted: true, status: 'pending', message: 'Your approval is recorded (1 of 2).' } });
  const view = await s.api('GET', `/approvals/${encodeURIComponent(id)}`, DAVE);
  expect(view.body.decisions).toEqual([expect.objectContaining({ user: { id: 'U0DAVE' }, via: 'api', by: { token: 'dave-laptop' } })]);
});

test('a token configured without permissions has none', async () => {
  expect(ConfigSchema.parse({ api: { tokens: [{ name: 'bare', token: BARE }] } }).api.tokens[0].permissions).toEqual([]);
  const res = await s.api('GET', '/approvals/anything', BARE);
  expect(res.status).toBe(403);
  const create = await s.api('POST', '/approvals', BARE, { pipeline: 'web', stage: 'prod', execution: 'x', approverGroups: ['release'], channel: CHANNEL });
  expect(create.status).toBe(403);
});
