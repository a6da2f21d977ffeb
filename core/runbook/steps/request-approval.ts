/**
 * Request Approval: the approval gate. Posts an approval card and waits for
 * approvers from the named groups. Outputs `status` (`approved`, `rejected`,
 * `expired`, `cancelled`, or `failed` when the approval could not run) and
 * `approvedBy` (Slack user IDs).
 */
import { parseDuration } from '../duration';
import { DEFAULT_APPROVAL_TIMEOUT } from '../../approval/durations';
import { MAX_APPROVALS } from '../../approval/policy';
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface RequestApprovalStep extends StepBase {
  op: 'requestApproval';
  /** Template; where the card goes. @default the incident channel */
  channel?: string;
  /** Template: what is being approved. */
  text: string;
  /** Approver group names from configuration (`approverGroups`). */
  approverGroups: string[];
  /** @default 1 */
  minApprovals: number;
  /** @default DEFAULT_APPROVAL_TIMEOUT */
  timeoutMs: number;
  /** What a timeout means. @default 'reject' */
  onTimeout: 'reject' | 'approve';
  /** After a rejection (or a timeout that rejects): stop the section's remaining steps, or continue. @default 'stop' */
  onReject: 'stop' | 'continue';
}

export const requestApproval = defineStepKind({
  operation: 'Request Approval',
  op: 'requestApproval',
  schema: ({ z, stepSchema, text, duration, channel }) => stepSchema('Request Approval', 'The approval gate: posts an approval card and waits for approvers. Outputs status and approvedBy.', {
    Channel: channel.optional(),
    Message: text('What is being approved; templates allowed.'),
    ApproverGroups: z.array(z.string().min(1), { error: 'expected a list of approver group names from configuration' }).min(1, { error: 'name at least one approver group' }).describe('Approver group names from configuration.'),
    MinApprovals: z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).positive({ error: 'expected at least 1' }).max(MAX_APPROVALS, { error: `expected at most ${MAX_APPROVALS}` }).optional().describe('Approvals needed. Default 1.'),
    Timeout: duration(`How long to wait for approvers. Default ${DEFAULT_APPROVAL_TIMEOUT}.`).optional(),
    OnTimeout: z.enum(['reject', 'approve'], { error: 'expected `reject` or `approve`' }).optional().describe('What a timeout means. Default reject.'),
    OnReject: z.enum(['stop', 'continue'], { error: 'expected `stop` or `continue`' }).optional().describe("After a rejection: stop this section's remaining steps, or continue. Default stop."),
  }),
  outputs: ['status', 'approvedBy'],
  activities: [],
  docs: {
    fields: { MinApprovals: '1', Timeout: DEFAULT_APPROVAL_TIMEOUT, OnTimeout: '`reject`/`approve`', OnReject: '`stop`/`continue`' },
    outputs: { status: '`approved`, `rejected`, `expired`, `cancelled` or `failed`' },
  },
  verb: 'asking for approval',
  channel: 'uses',
  plainFields: ['ApproverGroups', 'MinApprovals', 'Timeout', 'OnTimeout', 'OnReject'],
  normalize: (s, base): RequestApprovalStep =>
    compact({
      op: 'requestApproval',
      ...base,
      channel: s.Channel ?? INCIDENT_CHANNEL,
      text: s.Message,
      approverGroups: s.ApproverGroups,
      minApprovals: s.MinApprovals ?? 1,
      timeoutMs: parseDuration(s.Timeout ?? DEFAULT_APPROVAL_TIMEOUT),
      onTimeout: s.OnTimeout ?? 'reject',
      onReject: s.OnReject ?? 'stop',
    }),
  async run(step, rt) {
    let result;
    try {
      result = await rt.requestApproval({
        summary: rt.render(step.text),
        approverGroups: step.approverGroups,
        minApprovals: step.minApprovals,
        timeoutMs: step.timeoutMs,
        onTimeout: step.onTimeout,
        // The approval workflow resolves `#name` itself; it is given the incident channel by name, as before.
        channel: step.channel ? rt.render(step.channel) : `#${rt.incident.channel}`,
      });
    } catch (err) {
      if (rt.isCancellation(err)) throw err;
      // A gate whose approval failed (it asked for more than configuration grants, its requester or
      // approvers could not be found) is shut, as a rejection is: the runbook never goes on past it.
      rt.noteError(`the approval failed: ${rt.failureMessage(err)}`);
      return { outputs: { status: 'failed', approvedBy: [] }, label: 'approval failed', stop: step.onReject === 'stop' };
    }
    // The approval's own answer decides (SECURITY.md): an expiry proceeds only where its configuration let the timeout approve.
    const approved = result.proceed ?? result.status === 'approved';
    const status = approved ? 'approved' : result.status;
    const approvedBy = result.decisions.filter((d) => d.verb === 'approve').map((d) => d.user.id);
    return { outputs: { status, approvedBy }, label: `approval ${status}`, stop: !approved && step.onReject === 'stop' };
  },
});
