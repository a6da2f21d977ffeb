/**
 * An Enterprise Grid click as the sandbox sends it (not a hand-written
 * payload): the organization app is identified by its enterprise only
 * (`enterpriseId`, no `teamId`), and a person of the organization's other
 * workspace (W0FRANK, home workspace T0LABS) approves in #deploys of
 * T0SANDBOX. The server verifies the click by its enterprise and routes it
 * to the approval, which records frank's decision.
 */
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { buttons, card, CHANNEL, eventually, uniqueExecution, visibleText } from '../../support/approvals';

let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({
    slack: { organization: { enterpriseId: 'E0SANDBOX' } },
    approverGroups: { grid: { users: ['W0FRANK'] } },
  }));
});
afterAll(() => stack?.close());

test('frank, of the organization\'s other workspace, approves from the sandbox; the click is verified by its enterprise', async () => {
  const execution = uniqueExecution('grid');
  const handle = await requestApproval(stack.client, normalizeApprovalRequest({ pipeline: 'api', stage: 'production', execution, approverGroups: ['grid'], destination: { channel: CHANNEL }, timeout: '5m' }), stack.worker.taskQueue);
  const posted = await eventually('the card', () => card(stack.sandbox, execution));
  expect(buttons(posted).map((b) => b.actionId)).toContain(APPROVE_ACTION);

  const click = await stack.sandbox.click({ userId: 'W0FRANK', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });

  expect(click.payload).toMatchObject({ enterprise: { id: 'E0SANDBOX' }, team: { id: 'T0SANDBOX' }, user: { id: 'W0FRANK', team_id: 'T0LABS' } });
  expect(click.response.status).toBe(200);
  expect(await handle.result()).toMatchObject({ status: 'approved', decisions: [expect.objectContaining({ user: expect.objectContaining({ id: 'W0FRANK' }), via: 'slack' })] });
  expect(visibleText(card(stack.sandbox, execution)!)).toContain('Approved by <@W0FRANK>');
});
