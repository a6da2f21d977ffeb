import { approvalsComplete, judgeAttempt } from '../../workflows/approval/policy';
import type { ApprovalInput, ApprovalState, DecisionAttempt } from '../../workflows/approval/types';

function state(overrides: Partial<ApprovalState> = {}, request: Partial<ApprovalInput> = {}): ApprovalState {
  return {
    workflowId: 'approval-api-42-prod',
    status: 'pending',
    request: { pipeline: 'api', stage: 'prod', execution: '42', approverGroups: ['release', 'sre'], destination: { channel: '#deploys' }, timeoutMs: 3_600_000, ...request },
    approvers: { release: ['U0ALICE', 'U0BOB'], sre: ['U0CAROL'] },
    requester: 'U0BOB',
    approvals: 0,
    needed: 1,
    decisions: [],
    refused: [],
    expiresAt: '2026-11-22T12:00:00.000Z',
    escalated: false,
    ...overrides,
  };
}
const attempt = (user: string, verb: 'approve' | 'reject' = 'approve', extra: Partial<DecisionAttempt> = {}): DecisionAttempt => ({ verb, user: { id: user }, via: 'slack', ...extra });

describe('who may decide', () => {
  test('an approver in a group may approve, and the groups are recorded', () => {
    expect(judgeAttempt(state(), attempt('U0ALICE'))).toEqual({ ok: true, groups: ['release'] });
  });
  test('someone outside every approver group is refused, whatever channel they are in', () => {
    expect(judgeAttempt(state(), attempt('U0MALLORY'))).toEqual({ ok: false, why: 'you are not an approver for this request (approver groups: release, sre)' });
  });
  test('the executor may not approve their own run unless allowed', () => {
    expect(judgeAttempt(state(), attempt('U0BOB'))).toMatchObject({ ok: false, why: expect.stringContaining('self-approval is not allowed') });
    expect(judgeAttempt(state({}, { allowSelfApproval: true }), attempt('U0BOB'))).toMatchObject({ ok: true });
  });
  test('a second decision by the same person is refused', () => {
    const s = state({ decisions: [{ verb: 'approve', user: { id: 'U0ALICE' }, at: 'x', via: 'slack', groups: ['release'] }], needed: 2 });
    expect(judgeAttempt(s, attempt('U0ALICE'))).toMatchObject({ ok: false, why: 'you have already decided on this request' });
  });
  test('a late decision is refused with the outcome', () => {
    expect(judgeAttempt(state({ status: 'expired', outcomeNote: 'rejected on timeout' }), attempt('U0ALICE'))).toMatchObject({
      ok: false,
      why: 'this approval is already expired (rejected on timeout)',
    });
  });
  test('a rejection without a required reason is refused', () => {
    expect(judgeAttempt(state({}, { rejectionNeedsReason: true }), attempt('U0ALICE', 'reject'))).toMatchObject({ ok: false, why: 'a rejection needs a reason' });
    expect(judgeAttempt(state({}, { rejectionNeedsReason: true }), attempt('U0ALICE', 'reject', { reason: 'tests red' }))).toMatchObject({ ok: true });
  });
  test('required approver inputs must be filled to approve', () => {
    const s = state({}, { inputs: [{ name: 'ticket', label: 'Change ticket', required: true }] });
    expect(judgeAttempt(s, attempt('U0ALICE'))).toMatchObject({ ok: false, why: '"Change ticket" is required to approve' });
    expect(judgeAttempt(s, attempt('U0ALICE', 'approve', { inputs: { ticket: 'CHG-1' } }))).toMatchObject({ ok: true });
  });
});

describe('when an approval is complete', () => {
  const approve = (id: string, groups: string[]) => ({ verb: 'approve' as const, user: { id }, at: 'x', via: 'slack' as const, groups });
  test('overall minimum', () => {
    expect(approvalsComplete(state({ needed: 2, decisions: [approve('U0ALICE', ['release'])] }))).toBe(false);
    expect(approvalsComplete(state({ needed: 2, decisions: [approve('U0ALICE', ['release']), approve('U0CAROL', ['sre'])] }))).toBe(true);
  });
  test('per-group minimums', () => {
    const s = (decisions: ReturnType<typeof approve>[]) => state({ needed: 2, decisions }, { minPerGroup: { sre: 1 } });
    expect(approvalsComplete(s([approve('U0ALICE', ['release']), approve('U0BOB', ['release'])]))).toBe(false);
    expect(approvalsComplete(s([approve('U0ALICE', ['release']), approve('U0CAROL', ['sre'])]))).toBe(true);
  });
});
