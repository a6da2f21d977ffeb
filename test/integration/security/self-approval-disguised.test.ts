/**
 * Attack: carol requests a deploy naming herself in a way the approval does
 * not recognize as her (a lower-cased id, a mention, her handle, an id with
 * an invisible character), then approves it herself.
 */
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalStateQuery } from '../../../workflows/messages';
import { card } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

const TOKEN = 'pipeline-token-0123456789abcdef';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ apiTokens: [{ name: 'pipeline', token: TOKEN, permissions: ['approvals:write', 'approvals:read'] }] });
});
afterAll(() => s?.close());

const ask = (execution: string, requestedBy: string) =>
  s.api('POST', '/approvals', TOKEN, { pipeline: 'web', stage: 'prod', execution, approverGroups: ['release'], channel: CHANNEL, requestedBy, timeout: '10m' });

test.each([
  ['a lower-cased id', 'u0carol'],
  ['an id with a zero-width space', 'U0CAROL\u200b'],
  ['a name nobody has', 'caroline'],
])('%s does not resolve to exactly one Slack user: 422 naming the value, nothing started', async (_what, requestedBy) => {
  const execution = `self-${Date.now().toString(36)}`;
  const res = await ask(execution, requestedBy);
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ field: 'body.requestedBy', message: expect.stringContaining(`requestedBy "${requestedBy}"`) });
  await expect(s.client.workflow.getHandle(`approval:web:prod:${execution}`).describe()).rejects.toThrow();
});

test.each([
  ['a mention', '<@U0CAROL>'],
  ['her handle', 'carol'],
  ['her handle with @', '@carol'],
  ['her email', 'carol@example.com'],
])('carol named by %s is still the requester: her own approval is refused', async (_what, requestedBy) => {
  const execution = `self-${Date.now().toString(36)}`;
  const res = await ask(execution, requestedBy);
  expect(res.status).toBe(201);
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  const state = await eventually('the refusal', async () => {
    const st = await s.client.workflow.getHandle(String(res.body.id)).query(approvalStateQuery);
    return st.refused.length ? st : undefined;
  });
  expect(state.requester).toBe('U0CAROL');
  expect(state.refused[0]).toMatchObject({ user: { id: 'U0CAROL' }, why: 'you requested this run, and self-approval is not allowed' });
  expect(state.decisions).toEqual([]);
});
