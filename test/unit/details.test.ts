import { approvalDetails, approvalRequestDetails, incidentDetails, mdText } from '../../core/details';
import type { ApprovalInput, ApprovalState } from '../../core/approval/types';
import type { IncidentState } from '../../core/incident/types';

const request: ApprovalInput = {
  pipeline: 'api',
  stage: 'production',
  execution: '1042',
  summary: 'Deploy *api* v1.42',
  link: 'https://ci.example.com/runs/1042',
  requestedBy: 'U0DAVE',
  approverGroups: ['release', 'sre'],
  minApprovals: 2,
  timeoutMs: 1_800_000,
  destination: { channel: '#deploys' },
};

function approvalState(over: Partial<ApprovalState> = {}): ApprovalState {
  return {
    workflowId: 'approval-api-production-1042',
    status: 'pending',
    request,
    approvers: { release: ['U0CAROL', 'U0DAVE'], sre: ['U0ALICE'] },
    requester: 'U0DAVE',
    approvals: 0,
    needed: 2,
    decisions: [],
    refused: [],
    expiresAt: '2025-06-01T10:30:00.000Z',
    escalated: false,
    message: { channel: 'C0DEPLOYS', ts: '1717236000.000100' },
    ...over,
  };
}

describe('markdown details for the Temporal UI', () => {
  test('free text is escaped and kept on one line', () => {
    expect(mdText('a *b* [c](d) <e>\nf')).toBe('a \\*b\\* \\[c\\](d) \\<e\\> f');
  });

  test('a request: summary, approvers and rules, requester and link, one list item per line', () => {
    expect(approvalRequestDetails(request)).toBe(
      ['**Deploy \\*api\\* v1.42**', '- Approvers: release, sre; 2 needed', '- Timeout: 30m, then reject', '- Requested by U0DAVE', '- Run: https://ci.example.com/runs/1042'].join('\n'),
    );
  });

  test('a timeout in milliseconds (as the workflow gets it) reads as a person writes it', () => {
    expect(approvalRequestDetails({ ...request, timeoutMs: 5_400_000, onTimeout: 'approve' })).toContain('- Timeout: 1h30m, then approve if configuration allows it for every approver group (otherwise the run fails)');
  });

  test('a pending approval says its progress, deadline and who it waits on (never the requester)', () => {
    const md = approvalDetails(
      approvalState({
        approvals: 1,
        decisions: [{ verb: 'approve', user: { id: 'U0CAROL', name: 'carol' }, at: '2025-06-01T10:05:00.000Z', via: 'slack', groups: ['release'] }],
        refused: [{ verb: 'approve', user: { id: 'U0ERIN' }, at: '2025-06-01T10:06:00.000Z', via: 'slack', why: 'U0ERIN is not in release or sre' }],
      }),
    );
    expect(md.split('\n')).toEqual([
      '**Pending**: 1 of 2 approvals',
      '',
      '- Expires 2025-06-01T10:30:00.000Z, then reject',
      '- Waiting on U0ALICE',
      '- Approved by carol (U0CAROL) via slack at 2025-06-01T10:05:00.000Z',
      '- Refused approve from U0ERIN at 2025-06-01T10:06:00.000Z: U0ERIN is not in release or sre',
      '- Card: channel C0DEPLOYS, message 1717236000.000100',
    ]);
  });

  test('a rejected approval shows the reason and the outcome, no deadline', () => {
    const md = approvalDetails(
      approvalState({
        status: 'rejected',
        decisions: [{ verb: 'reject', user: { id: 'U0CAROL' }, at: '2025-06-01T10:05:00.000Z', via: 'api', reason: 'canary failing', groups: ['release'] }],
        outcomeNote: 'Rejected by U0CAROL: canary failing',
      }),
    );
    expect(md).toContain('**Rejected**: 0 of 2 approvals');
    expect(md).toContain('- Rejected by U0CAROL via api at 2025-06-01T10:05:00.000Z: canary failing');
    expect(md).toContain('- Rejected by U0CAROL: canary failing');
    expect(md).not.toContain('Expires');
    expect(md).not.toContain('Waiting on');
  });

  test('an incident: status, severity and service, channel, activity, failures and the latest events', () => {
    const state: IncidentState = {
      workflowId: 'incident-INC-42',
      runbook: 'sev1-outage',
      status: 'open',
      integration: 'organization',
      incident: { id: 'INC-42', severity: 'SEV1', service: 'checkout', title: 'Card payments failing', channel: 'incident-inc-42', channelId: 'C0INC42' },
      steps: {},
      timeline: [
        { at: '2025-06-01T10:00:00.000Z', kind: 'opened', text: 'Incident opened with runbook sev1-outage', by: 'U0ALICE' },
        { at: '2025-06-01T10:00:02.000Z', kind: 'error', text: 'bookmark: failed: missing_scope' },
        { at: '2025-06-01T10:05:00.000Z', kind: 'severity', text: 'Severity SEV2 → SEV1', by: 'U0BOB' },
        { at: '2025-06-01T10:07:00.000Z', kind: 'update', text: 'Rolled back *gateway*', by: 'U0ALICE' },
      ],
      openedAt: 0,
      lastUpdateAt: 0,
      updates: 1,
      reminders: 0,
      severityChanges: [{ from: 'SEV2', to: 'SEV1', at: '2025-06-01T10:05:00.000Z', by: 'U0BOB' }],
    };
    expect(incidentDetails(state, 2).split('\n')).toEqual([
      '**Open**: SEV1 in checkout',
      '',
      '- Card payments failing',
      '- Channel: #incident-inc-42 (C0INC42)',
      '- Runbook: sev1-outage',
      '- Updates: 1; reminders: 0',
      '- Severity: SEV2 → SEV1 by U0BOB',
      '- 1 step failed; last: bookmark: failed: missing\\_scope',
      '',
      '**Latest**',
      '',
      '- 2025-06-01T10:05:00.000Z severity: Severity SEV2 → SEV1 (U0BOB)',
      '- 2025-06-01T10:07:00.000Z update: Rolled back \\*gateway\\* (U0ALICE)',
    ]);
  });
});
