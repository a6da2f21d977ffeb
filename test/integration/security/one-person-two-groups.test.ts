/**
 * Attack: carol is in two approver groups that each must approve; she
 * approves once and satisfies both minimums alone.
 */
import { startApproval } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalsComplete } from '../../../core/approval/policy';
import type { ApprovalState } from '../../../core/approval/types';
import { approvalStateQuery } from '../../../workflows/messages';
import { card } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
beforeAll(async () => {
  // carol is in both release (@release-managers) and change-board.
  s = await securityStack({ config: { approverGroups: { release: { userGroups: ['@release-managers'] }, 'change-board': { users: ['U0CAROL', 'U0ALICE'] } } } });
});
afterAll(() => s?.close());

test('one approval from a person in both groups does not meet both groups’ minimums; a second person does', async () => {
  const execution = `two-groups-${Date.now().toString(36)}`;
  const { workflowId } = await startApproval(
    s.client,
    { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release', 'change-board'], minPerGroup: { release: 1, 'change-board': 1 }, destination: { channel: CHANNEL }, timeout: '10m' },
    s.worker.taskQueue,
  );
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  const afterCarol = await eventually('carol recorded', async () => {
    const st = await s.client.workflow.getHandle(workflowId).query(approvalStateQuery);
    return st.decisions.length ? st : undefined;
  });
  expect(afterCarol.status).toBe('pending');
  await s.sandbox.click({ userId: 'U0ALICE', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  const result = await s.client.workflow.getHandle(workflowId).result();
  expect(result.status).toBe('approved');
  expect(result.decisions.map((d: { user: { id: string } }) => d.user.id)).toEqual(['U0CAROL', 'U0ALICE']);
});

test('the rule: distinct people fill the seats each group needs, whichever group a shared member is counted for', () => {
  const base = { status: 'pending', request: { minPerGroup: { a: 1, b: 1 } }, needed: 1 } as unknown as ApprovalState;
  const d = (id: string, groups: string[]) => ({ verb: 'approve' as const, user: { id }, at: 'x', via: 'slack' as const, groups });
  expect(approvalsComplete({ ...base, decisions: [d('U1', ['a', 'b'])] })).toBe(false);
  // U1 (a, b) and U2 (a): U1 must count for b so that U2 can count for a.
  expect(approvalsComplete({ ...base, decisions: [d('U1', ['a', 'b']), d('U2', ['a'])] })).toBe(true);
  expect(approvalsComplete({ ...base, decisions: [d('U1', ['a']), d('U2', ['a'])] })).toBe(false);
});
