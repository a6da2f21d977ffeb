/**
 * Markdown for the Temporal UI's "Current Details" of a run (the workflow's
 * `setCurrentDetails`) and for a start's `staticDetails`. The UI renders
 * these as markdown, so lines are separate paragraphs or list items: a bare
 * "\n" would run them together into one line.
 *
 * Pure (types only, no clock, no I/O), so workflows import it.
 */
import type { ApprovalInput, ApprovalState, DecidedBy } from './approval/types';
import { effectivePolicy, whoMayStillDecide } from './approval/policy';
import type { IncidentState } from './incident/types';
import { formatDuration } from './runbook/duration';

/** Escapes free text (a pipeline's summary, a reason) so markdown shows it as written. */
export function mdText(text: string): string {
  return text.replace(/([\\`*_[\]<>|#])/g, '\\$1').replace(/\s*\n\s*/g, ' ');
}

const STATUS_WORDS: Record<ApprovalState['status'], string> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

/** What a request is, for `staticDetails` when it starts: the summary, approvers and rules, the run's link. */
export function approvalRequestDetails(request: ApprovalInput): string {
  const lines = [
    request.summary ? `**${mdText(request.summary)}**` : '',
    `- Approvers: ${request.approverGroups.map(mdText).join(', ')}; ${request.minApprovals ?? 1} needed`,
    // What was asked, before the worker has read configuration: an approving timeout is configuration's to grant.
    `- Timeout: ${formatDuration(request.timeoutMs)}, then ${request.onTimeout === 'approve' ? 'approve if configuration allows it for every approver group (otherwise the run fails)' : 'reject'}`,
    request.requestedBy ? `- Requested by ${mdText(request.requestedBy)}` : '',
    request.link ? `- Run: ${request.link}` : '',
  ];
  return lines.filter(Boolean).join('\n');
}

const byWhom = (by: DecidedBy | undefined) => (by?.token ? ` (token ${mdText(by.token)})` : by?.operator ? ` (operator ${mdText(by.operator)})` : '');

/** Where an approval stands now: status and progress, who may still decide, every decision and refusal. */
export function approvalDetails(state: ApprovalState): string {
  const waitingOn = whoMayStillDecide(state);
  const thenWhat = effectivePolicy(state).approveOnTimeout ? 'approve' : 'reject';
  const refusedEarlier = Object.values(state.refusedCounts ?? {}).reduce((a, b) => a + b, 0) - state.refused.length;
  const lines = [
    `**${STATUS_WORDS[state.status]}**: ${state.approvals} of ${state.needed} approval${state.needed === 1 ? '' : 's'}`,
    '',
    state.status === 'pending' ? `- Expires ${state.expiresAt}, then ${thenWhat}` : '',
    state.status === 'pending' && waitingOn.length ? `- Waiting on ${waitingOn.join(', ')}` : '',
    state.escalated ? '- Escalated' : '',
    ...state.decisions.map(
      (d) =>
        `- ${d.verb === 'approve' ? 'Approved' : 'Rejected'} by ${d.user.name ? `${mdText(d.user.name)} (${d.user.id})` : d.user.id} via ${d.via}${byWhom(d.by)} at ${d.at}${d.reason ? `: ${mdText(d.reason)}` : ''}`,
    ),
    refusedEarlier > 0 ? `- ${refusedEarlier} earlier refusal${refusedEarlier === 1 ? '' : 's'} (counted per person)` : '',
    ...state.refused.map((r) => `- Refused ${r.verb} from ${r.user.id}${byWhom(r.by)} at ${r.at}: ${mdText(r.why)}`),
    state.outcomeNote ? `- ${mdText(state.outcomeNote)}` : '',
    ...(state.problems ?? []).map((p) => `- Problem: ${mdText(p)}`),
    state.message ? `- Card: channel ${state.message.channel}, message ${state.message.ts}` : '',
  ];
  return lines.filter((l, i) => l !== '' || i === 1).join('\n');
}

/** Where an incident stands now: status, severity, channel, activity, and the last few events. */
export function incidentDetails(state: IncidentState, recent = 5): string {
  const i = state.incident;
  const status = { opening: 'Opening', open: 'Open', resolving: 'Resolving', resolved: 'Resolved' }[state.status];
  const errors = state.timeline.filter((e) => e.kind === 'error');
  const lines = [
    `**${status}**${i.severity ? `: ${mdText(i.severity)}` : ''}${i.service ? ` in ${mdText(i.service)}` : ''}`,
    '',
    i.title ? `- ${mdText(i.title)}` : '',
    i.channel ? `- Channel: #${i.channel}${i.channelId ? ` (${i.channelId})` : ''}` : '',
    `- Runbook: ${mdText(state.runbook)}`,
    `- Updates: ${state.updates}; reminders: ${state.reminders}`,
    state.severityChanges.length ? `- Severity: ${state.severityChanges.map((c) => `${c.from} → ${c.to}${c.by ? ` by ${c.by}` : ''}`).join(', ')}` : '',
    state.resolvedAt ? `- Resolved at ${state.resolvedAt}${state.resolvedBy ? ` by ${mdText(state.resolvedBy)}` : ''}` : '',
    errors.length ? `- ${errors.length} step${errors.length === 1 ? '' : 's'} failed; last: ${mdText(errors[errors.length - 1].text)}` : '',
  ];
  const timeline = state.timeline.slice(-recent).map((e) => `- ${e.at} ${e.kind}: ${mdText(e.text)}${e.by ? ` (${e.by})` : ''}`);
  const body = lines.filter((l, n) => l !== '' || n === 1);
  return timeline.length ? [...body, '', '**Latest**', '', ...timeline].join('\n') : body.join('\n');
}
