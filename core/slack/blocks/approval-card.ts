/**
 * The approval's Slack message, as Block Kit. Pure (the workflow builds it),
 * and always truthful: it shows progress while pending and, once final, the
 * outcome with the buttons removed.
 */
import { effectivePolicy } from '../../approval/policy';
import type { ApprovalState, ApproverInputField } from '../../approval/types';
import { escapeMrkdwn as esc, mrkdwnLink, slackDate, userMention } from '../mrkdwn';
import type { SlackBlock } from './block';
import { effectiveHolds, isHeld } from '../../holds/policy';
import { holdLine } from '../../holds/match';

export const APPROVE_ACTION = 'signalroom:approval:approve';
export const REJECT_ACTION = 'signalroom:approval:reject';
/** Opens a modal for the reason (or approver inputs) before the decision is sent. */
export const REJECT_WITH_REASON_ACTION = 'signalroom:approval:reject-with-reason';
export const APPROVE_WITH_INPUTS_ACTION = 'signalroom:approval:approve-with-inputs';
export const DECISION_VIEW_CALLBACK = 'signalroom:approval:decision';
/** A held card's buttons: each opens a modal for the reason (README, "Deploys and incidents"). */
export const EXCEPTION_ACTION = 'signalroom:approval:exception-with-reason';
export const BREAK_GLASS_ACTION = 'signalroom:approval:break-glass-with-reason';

/** Slack's limit on a button's value. */
const BUTTON_VALUE_MAX = 2000;

/**
 * What a modal-opening button carries, so the server opens the modal itself
 * within the click's 3-second trigger_id, without asking the worker: the
 * workflow id, the integration that posted the card (its token opens the
 * modal) and the approver input fields (`[name, label, required]`).
 */
export interface ModalButtonValue {
  workflowId: string;
  integration?: string;
  fields?: Array<[name: string, label: string, required: boolean]>;
}

export function modalButtonValue(state: Pick<ApprovalState, 'workflowId' | 'integration'>, fields: ApproverInputField[] = []): string {
  const value: ModalButtonValue = { workflowId: state.workflowId, ...(state.integration ? { integration: state.integration } : {}) };
  if (fields.length) value.fields = fields.map((f) => [f.name, f.label, Boolean(f.required)]);
  let json = JSON.stringify(value);
  // Too long for Slack: the names stand in for the labels.
  if (json.length > BUTTON_VALUE_MAX && value.fields) {
    value.fields = value.fields.map(([name, , required]) => [name, name, required]);
    json = JSON.stringify(value);
  }
  return json;
}

/** The value of a modal-opening button; a bare workflow id (older cards) is accepted too. */
export function parseModalButtonValue(value: string | undefined): ModalButtonValue | undefined {
  if (!value) return undefined;
  if (!value.startsWith('{')) return { workflowId: value };
  try {
    const v = JSON.parse(value) as Partial<ModalButtonValue>;
    if (typeof v.workflowId !== 'string' || !v.workflowId) return undefined;
    const fields = Array.isArray(v.fields)
      ? v.fields.filter((f): f is [string, string, boolean] => Array.isArray(f) && typeof f[0] === 'string' && typeof f[1] === 'string').map(([n, l, r]) => [n, l, Boolean(r)] as [string, string, boolean])
      : undefined;
    return { workflowId: v.workflowId, integration: typeof v.integration === 'string' ? v.integration : undefined, fields };
  } catch {
    return undefined;
  }
}

const STATUS_LINE: Record<ApprovalState['status'], string> = {
  pending: ':hourglass_flowing_sand: Waiting for approval',
  approved: ':white_check_mark: Approved',
  rejected: ':x: Rejected',
  expired: ':alarm_clock: Expired',
  cancelled: ':no_entry_sign: Cancelled',
};

/** A person as the card names them: a mention for a Slack user id, else their (escaped) name. */
function who(id: string | undefined): string {
  if (!id) return 'unknown';
  return userMention(id);
}

function plain(text: string, max = 150): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true };
}

/** The one-line text Slack shows in notifications and where blocks cannot render. */
export function approvalText(state: ApprovalState): string {
  const r = state.request;
  if (isHeld(state)) return `:octagonal_sign: ${esc(effectiveHolds(state).map(holdLine).join('; '))}: ${esc(r.pipeline)} › ${esc(r.stage)} (${esc(r.execution)})`;
  // Slack parses this text as mrkdwn too (and notifications show it): the request's fields are escaped.
  // The outcome note is composed by the workflow, which escapes what it quotes.
  return `${STATUS_LINE[state.status]}: ${esc(r.pipeline)} › ${esc(r.stage)} (${esc(r.execution)})${state.status === 'pending' ? ` — ${state.approvals} of ${state.needed} approvals` : state.outcomeNote ? ` — ${state.outcomeNote}` : ''}`;
}

export function approvalBlocks(state: ApprovalState): SlackBlock[] {
  const r = state.request;
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(`${state.status === 'pending' ? 'Approval needed' : STATUS_LINE[state.status].replace(/^:[a-z_]+: /, '')}: ${r.pipeline} › ${r.stage}`) },
  ];
  if (r.summary || r.link) {
    const text = [r.summary ? esc(r.summary) : undefined, r.link ? mrkdwnLink(r.link, 'Open the pipeline run') : undefined].filter(Boolean).join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } });
  }
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: `*Pipeline*\n${esc(r.pipeline)}` },
      { type: 'mrkdwn', text: `*Stage*\n${esc(r.stage)}` },
      { type: 'mrkdwn', text: `*Execution*\n${esc(r.execution)}` },
      { type: 'mrkdwn', text: `*Requested by*\n${who(state.requester ?? r.requestedBy)}` },
      { type: 'mrkdwn', text: `*Approvers*\n${Object.keys(state.approvers).map((g) => `\`${esc(g)}\``).join(', ')}` },
      state.status === 'pending'
        ? { type: 'mrkdwn', text: `*Expires*\n${slackDate(state.expiresAt)} (then ${effectivePolicy(state).approveOnTimeout ? 'approved' : 'rejected'})` }
        : { type: 'mrkdwn', text: `*Deadline*\n${slackDate(state.expiresAt)}` },
    ],
  });

  const approvals = state.decisions.filter((d) => d.verb === 'approve');
  const exceptions = (state.exceptions ?? []).map((e) => `Exception to ${esc(state.holds?.find((h) => h.id === e.hold)?.label ?? e.hold)} granted by ${who(e.by)}: “${esc(e.reason)}”`);
  if (isHeld(state)) {
    // Held: the hold says by what, with a link to the incident's channel; Approve gives way to Request an exception.
    const lines = effectiveHolds(state).map((h) => `:octagonal_sign: *${esc(holdLine(h))}*${h.channel ? ` — <#${h.channel}>` : h.link ? ` — ${mrkdwnLink(h.link, 'the incident')}` : ''}${h.source === 'incident' && h.commander ? `\nCommander: ${who(h.commander)}` : ''}${h.reason && h.source === 'freeze' && h.reason !== h.label ? `\n${esc(h.reason)}` : ''}`);
    blocks.push({ type: 'section', block_id: 'signalroom-approval-held', text: { type: 'mrkdwn', text: [...lines, ...exceptions].join('\n').slice(0, 3000) } });
    const progress = `*${state.approvals} of ${state.needed}* approval${state.needed === 1 ? '' : 's'}; approving waits until the hold lifts or an exception is granted`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: progress }] });
    blocks.push({
      type: 'actions',
      block_id: 'signalroom-approval-actions',
      elements: [
        { type: 'button', text: plain('Request an exception…'), action_id: EXCEPTION_ACTION, value: modalButtonValue(state) },
        r.rejectionNeedsReason
          ? { type: 'button', style: 'danger', text: plain('Reject…'), action_id: REJECT_WITH_REASON_ACTION, value: modalButtonValue(state) }
          : { type: 'button', style: 'danger', text: plain('Reject'), action_id: REJECT_ACTION, value: state.workflowId },
        ...(state.breakGlassOpen ? [{ type: 'button', text: plain('Break glass…'), action_id: BREAK_GLASS_ACTION, value: modalButtonValue(state) }] : []),
      ],
    });
    return blocks;
  }
  if (state.status === 'pending' && exceptions.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: exceptions.join('\n').slice(0, 3000) } });
  if (state.status === 'pending') {
    const progress = `*${state.approvals} of ${state.needed}* approval${state.needed === 1 ? '' : 's'}${approvals.length ? ` — approved by ${approvals.map((d) => who(d.user.id)).join(', ')}` : ''}`;
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: progress }] });
    const needsInputs = (r.inputs ?? []).length > 0;
    blocks.push({
      type: 'actions',
      block_id: 'signalroom-approval-actions',
      elements: [
        needsInputs
          ? { type: 'button', style: 'primary', text: plain('Approve…'), action_id: APPROVE_WITH_INPUTS_ACTION, value: modalButtonValue(state, r.inputs) }
          : { type: 'button', style: 'primary', text: plain('Approve'), action_id: APPROVE_ACTION, value: state.workflowId },
        r.rejectionNeedsReason
          ? { type: 'button', style: 'danger', text: plain('Reject…'), action_id: REJECT_WITH_REASON_ACTION, value: modalButtonValue(state) }
          : { type: 'button', style: 'danger', text: plain('Reject'), action_id: REJECT_ACTION, value: state.workflowId },
      ],
    });
    return blocks;
  }

  blocks.push({ type: 'divider' });
  const lines: string[] = [`*${STATUS_LINE[state.status]}*${state.finishedAt ? ` ${slackDate(state.finishedAt)}` : ''}`];
  if (approvals.length) lines.push(`Approved by ${approvals.map((d) => who(d.user.id)).join(', ')}`);
  for (const d of state.decisions.filter((x) => x.verb === 'reject')) lines.push(`Rejected by ${who(d.user.id)}${d.reason ? `: “${esc(d.reason)}”` : ''}`);
  // A rejection's note repeats the line above; other notes (expiry, cancellation, no approvers) say what nothing else does.
  if (state.outcomeNote && !state.decisions.some((d) => d.verb === 'reject')) lines.push(state.outcomeNote);
  lines.push(...exceptions);
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) } });
  return blocks;
}

const MODAL_WORDS = {
  approve: { title: 'Approve', submit: 'Approve', reason: '' },
  reject: { title: 'Reject', submit: 'Reject', reason: 'Reason for rejecting' },
  exception: { title: 'Exception', submit: 'Send', reason: 'Why this deploy should go on during the hold (the commander grants it; anyone else asks them)' },
  'break-glass': { title: 'Break glass', submit: 'Break glass', reason: 'Why the hold must be overridden now (recorded, and reviewed afterwards)' },
} as const;

/** Where the click that opens a modal came from: the workflow answers the submitter there (a submission has no response_url). */
export interface DecisionModalContext {
  /** The card's channel and message, so the submission is checked against the card like a click. */
  channelId?: string;
  messageTs?: string;
  /** The click's response_url, sealed by the server. */
  responseUrl?: string;
}

/** The modal asking for a rejection's reason or the approver inputs. */
export function decisionModal(
  workflowId: string,
  verb: 'approve' | 'reject' | 'exception' | 'break-glass',
  fields: Array<{ name: string; label: string; required?: boolean }>,
  context: DecisionModalContext = {},
): Record<string, unknown> {
  const inputs = verb === 'approve' ? fields : [{ name: 'reason', label: MODAL_WORDS[verb].reason, required: true }];
  const metadata = {
    workflowId,
    verb,
    ...(context.channelId ? { channelId: context.channelId } : {}),
    ...(context.messageTs ? { messageTs: context.messageTs } : {}),
    ...(context.responseUrl ? { responseUrl: context.responseUrl } : {}),
  };
  return {
    type: 'modal',
    callback_id: DECISION_VIEW_CALLBACK,
    // private_metadata holds at most 3000 characters: the response_url is the part to drop.
    private_metadata: JSON.stringify(metadata).length <= 3000 ? JSON.stringify(metadata) : JSON.stringify({ workflowId, verb }),
    title: plain(MODAL_WORDS[verb].title, 24),
    submit: plain(MODAL_WORDS[verb].submit, 24),
    close: plain('Cancel', 24),
    blocks: inputs.map((f) => ({
      type: 'input',
      block_id: f.name,
      optional: !f.required,
      label: plain(f.label, 2000),
      element: { type: 'plain_text_input', action_id: 'value', multiline: f.name === 'reason' },
    })),
  };
}
