import { approvalInputProblem, approvalsComplete, approvalShortfall, groupsOf, judgeAttempt, MAX_APPROVALS } from '../../../core/approval/policy';
import type { ApprovalInput, ApprovalRequest, ApprovalState, DecisionAttempt } from '../../../core/approval/types';
import { approvalDuration, DEFAULT_APPROVAL_TIMEOUT } from '../../../core/approval/durations';
import { approvalNamesOf, normalizeApprovalRequest } from '../../../src/approvals/client';
import { ConfigSchema } from '../../../src/config/schema';
import { parseDuration } from '../../../core/runbook/duration';

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

describe('what a request may name, and the workflow input it becomes', () => {
  const asked: ApprovalRequest = { pipeline: 'api', stage: 'prod', execution: '42', approverGroups: ['release'], destination: { channel: '#deploys' } };
  const config = (approverGroups: Record<string, object>, webhooks: Record<string, string> = {}) => ConfigSchema.parse({ approverGroups, slack: { webhooks } });

  test('with approver groups configured, only those (and only the configured webhooks) may be named', () => {
    const names = approvalNamesOf(config({ release: { users: ['U0CAROL'] } }));
    expect(() => normalizeApprovalRequest({ ...asked, approverGroups: ['ghosts'] }, names)).toThrow('approverGroups: unknown approver group "ghosts" (configured: release)');
    expect(() => normalizeApprovalRequest({ ...asked, destination: { webhook: 'deploys' } }, names)).toThrow('unknown incoming webhook "deploys" (configured: none)');
    expect(normalizeApprovalRequest(asked, names).approverGroups).toEqual(['release']);
  });

  test('a configuration without approver groups leaves names to the worker, the same for the CLI and the server', () => {
    const names = approvalNamesOf(config({}));
    expect(names).toEqual({});
    expect(normalizeApprovalRequest({ ...asked, approverGroups: ['release-managers'], destination: { webhook: 'deploys' } }, names)).toMatchObject({ approverGroups: ['release-managers'] });
  });

  test('durations reach the workflow in milliseconds, parsed once; the default timeout is DEFAULT_APPROVAL_TIMEOUT', () => {
    expect(normalizeApprovalRequest({ ...asked, timeout: '1h30m', remindEvery: '10m', escalation: { after: '45m', approverGroups: ['release'] } })).toMatchObject({
      timeoutMs: 5_400_000,
      remindEveryMs: 600_000,
      escalation: { afterMs: 2_700_000, approverGroups: ['release'] },
    });
    const input = normalizeApprovalRequest(asked);
    expect(input.timeoutMs).toBe(parseDuration(DEFAULT_APPROVAL_TIMEOUT));
    expect(input).not.toHaveProperty('timeout');
    expect(() => normalizeApprovalRequest({ ...asked, timeout: 'soon' })).toThrow('timeout: "soon" is not a duration');
  });

  test('a run recorded before durations were milliseconds is read with the same parser', () => {
    expect(approvalDuration({ ...asked, timeout: '10m', remindEvery: '2s', escalation: { after: '3s', approverGroups: ['sre'] } }, 'timeout')).toBe(600_000);
    expect(approvalDuration({ ...asked, timeout: '3600000ms' }, 'timeout')).toBe(3_600_000);
    expect(approvalDuration(asked, 'timeout')).toBe(parseDuration(DEFAULT_APPROVAL_TIMEOUT));
    expect(approvalDuration({ ...asked, escalation: { after: '3s', approverGroups: ['sre'] } }, 'escalation.after')).toBe(3_000);
    expect(approvalDuration(asked, 'remindEvery')).toBeUndefined();
  });
});

describe('numbers from outside', () => {
  const state = (minPerGroup: Record<string, number>, approvers: Record<string, string[]>, needed = 1) =>
    ({ status: 'pending', request: { minPerGroup, approverGroups: Object.keys(approvers) }, approvers, needed, decisions: [], refused: [] }) as unknown as ApprovalState;
  const approve = (id: string, groups: string[]) => ({ verb: 'approve' as const, user: { id }, at: 'x', via: 'slack' as const, groups });

  test('a minimum of a hundred million is judged without building anything its size', () => {
    const s = { ...state({ release: 100_000_000 }, { release: ['U1', 'U2'] }), decisions: [approve('U1', ['release'])] };
    expect(approvalsComplete(s)).toBe(false);
  });

  test('a minimum the resolved people cannot meet is a shortfall naming the group; one they can meet is none', () => {
    expect(approvalShortfall(state({ release: 100_000_000 }, { release: ['U1', 'U2'] }))).toBe('minPerGroup.release asks for 100000000 approvals, and release has 2 people who may approve');
    expect(approvalShortfall(state({ release: 2 }, { release: ['U1', 'U2'] }))).toBeUndefined();
    expect(approvalShortfall(state({}, { release: ['U1', 'U2'] }, 3))).toMatch(/^minApprovals asks for 3 approvals, and release have 2 people/);
    // One person in two groups fills one seat: two seats, one person.
    expect(approvalShortfall(state({ a: 1, b: 1 }, { a: ['U1'], b: ['U1'] }))).toMatch(/one person counts for one group only/);
    // A group still to come (an escalation) is judged when it is resolved.
    expect(approvalShortfall(state({ later: 5 }, { release: ['U1'] }), ['later'])).toBeUndefined();
    expect(approvalShortfall(state({ later: 100 }, { release: ['U1'] }), ['later'])).toMatch(`at most ${MAX_APPROVALS}`);
  });

  test('a group named like a prototype key has no members unless it was resolved', () => {
    expect(approvalShortfall(state({ constructor: 1 }, { release: ['U1'] }))).toBe('minPerGroup.constructor asks for 1 approvals, and constructor has 0 people who may approve');
    expect(groupsOf({ approvers: { release: ['U1'] } }, 'U1')).toEqual(['release']);
  });

  test('a duration no edge lets through is an input problem, before any date is made from it', () => {
    const input = { pipeline: 'p', stage: 's', execution: 'e', approverGroups: ['release'], destination: { channel: 'C1' } };
    expect(approvalInputProblem({ ...input, timeoutMs: 1e20 })).toMatch(/^timeout: /);
    expect(approvalInputProblem({ ...input, timeoutMs: 60_000, remindEveryMs: -1 })).toMatch(/^remindEvery: /);
    expect(approvalInputProblem({ ...input, timeoutMs: 60_000 })).toBeUndefined();
  });
});
