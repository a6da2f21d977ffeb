/**
 * The review a break-glass opens (README, "Break-glass"): who broke the
 * glass, why and what it overrode, who is told, who may sign it off and the
 * record it keeps. Pure types and rules, shared by the review workflow
 * (workflows/review/workflow.ts), the server, the CLI and the API; the
 * rules here are the only judge of a sign-off (SECURITY.md, "A break-glass
 * is reviewed by someone else").
 */
import type { DecidedBy, Identity } from '../approval/types';
import { recordRefusal, REPLIES_PER_PERSON } from '../approval/policy';
import { CHANNEL_ID, USER_ID } from '../slack/mrkdwn';
import { mdText as md } from '../details';
import type { BreakGlass } from './types';

/** The review's workflow id: one review per approval, so a retried start finds the running one. */
export function reviewWorkflowId(approvalId: string): string {
  return `review:${approvalId}`;
}

/** The approval a break-glass overrode, as the review shows it. */
export interface ReviewedApproval {
  pipeline: string;
  stage: string;
  execution: string;
  summary?: string;
  /** A link to the approval's card in Slack. */
  permalink?: string;
}

/** An incident channel of an overridden hold, told of the break-glass. */
export interface ReviewIncidentChannel {
  /** A Slack channel id (or `#name`). */
  channel: string;
  /** The integration that created the channel, which posts there. @default the review's integration */
  integration?: string;
  /** The hold's label (`INC-123 (SEV1, checkout)`). */
  label?: string;
}

export interface BreakGlassReviewInput {
  /** The approval's workflow id. */
  approvalId: string;
  approval: ReviewedApproval;
  breakGlass: BreakGlass;
  /** Approver groups whose members may sign the review off (config `deploys.breakGlass.reviewers`). */
  reviewerGroups: string[];
  /** Where the review is posted and reminded: config `deploys.breakGlass.reviewChannel`, else the card's channel. */
  channel: string;
  /** The integration that posts the review (the approval card's). */
  integration: string;
  /** How often the reviewers are reminded until one signs off (config `deploys.breakGlass.remindEvery`), in ms. */
  remindEveryMs: number;
  /** The approvers the break-glass skipped (Slack user ids): each is told directly. */
  skippedApprovers?: string[];
  /** The incident channels of the overridden holds: each is told. */
  incidentChannels?: ReviewIncidentChannel[];
  /** Past this many history events the run continues as new. @default HISTORY_LIMIT */
  historyLimit?: number;
}

export type ReviewStatus = 'open' | 'signed-off';

/** A sign-off asked for from Slack, the CLI or the API. */
export interface SignOffAttempt {
  user: Identity;
  note?: string;
  via: 'slack' | 'cli' | 'api';
  /** API and CLI: the token or operator that made it. */
  by?: DecidedBy;
}

export interface SignOff {
  user: Identity;
  note?: string;
  at: string;
  via: SignOffAttempt['via'];
  /** The reviewer groups the person signed off as. */
  groups: string[];
  by?: DecidedBy;
}

export interface RefusedSignOff {
  user: Identity;
  at: string;
  via: SignOffAttempt['via'];
  why: string;
  by?: DecidedBy;
}

/** What a sign-off did, for the person who asked. */
export interface SignOffOutcome {
  accepted: boolean;
  message: string;
  status: ReviewStatus;
}

/** The review as its query answers and its run returns it: the record of the break-glass and its review. */
export interface ReviewState {
  workflowId: string;
  approvalId: string;
  status: ReviewStatus;
  approval: ReviewedApproval;
  breakGlass: BreakGlass;
  reviewerGroups: string[];
  /** The reviewers by group (Slack user ids), as last resolved. */
  reviewers: Record<string, string[]>;
  /** Where the review is posted. */
  channel: string;
  integration: string;
  openedAt: string;
  /** The review message, once posted. */
  message?: { channel: string; ts: string; permalink?: string };
  /** Who was told of the break-glass: the skipped approvers, the incident channels. */
  notified: { approvers: string[]; incidentChannels: string[] };
  reminders: number;
  signedOff?: SignOff;
  /** The most recent refusals (at most REFUSALS_KEPT); older ones are counted in refusedCounts. */
  refused: RefusedSignOff[];
  /** Refusals per person over the whole run; beyond REFUSERS_COUNTED people, the rest under `*`. */
  refusedCounts?: Record<string, number>;
  /** What went wrong beside the review, which never closes it: a DM Slack refused, say. */
  problems?: string[];
  finishedAt?: string;
}

/** Bounds on what a review's input may hold: it comes from an approval, but nothing from outside sizes the worker's work unchecked. */
export const MAX_SKIPPED_APPROVERS = 100;
export const MAX_INCIDENT_CHANNELS = 50;
export const MAX_REVIEWER_GROUPS = 20;
export const MIN_REMIND_MS = 1_000;
/** A year: longer is no reminder. */
export const MAX_REMIND_MS = 366 * 24 * 3600_000;
/** The longest note a sign-off keeps (the API and CLI refuse longer ones). */
export const MAX_NOTE_LENGTH = 3_000;

/** Why a review cannot start from this input, or undefined. */
export function reviewInputProblem(input: BreakGlassReviewInput): string | undefined {
  const text = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!text(input.approvalId)) return 'a review needs the approval id';
  const a = input.approval;
  if (!a || !text(a.pipeline) || !text(a.stage) || !text(a.execution)) return 'a review needs the approval\u2019s pipeline, stage and execution';
  const bg = input.breakGlass;
  if (!bg || !text(bg.by)) return 'a review needs who broke the glass';
  if (!text(bg.reason) || !text(bg.at) || !Array.isArray(bg.overrode)) return 'a review needs the break-glass\u2019s reason, time and what it overrode';
  if (!input.integration) return 'a review needs the integration to post with';
  if (!input.channel) return 'a review needs a channel';
  if (!input.reviewerGroups?.length) return 'a review needs at least one reviewer group';
  if (input.reviewerGroups.length > MAX_REVIEWER_GROUPS) return `at most ${MAX_REVIEWER_GROUPS} reviewer groups`;
  if (!Number.isInteger(input.remindEveryMs) || input.remindEveryMs < MIN_REMIND_MS || input.remindEveryMs > MAX_REMIND_MS) {
    return `the reminder interval must be a whole number of milliseconds between ${MIN_REMIND_MS} and ${MAX_REMIND_MS}, got ${input.remindEveryMs}`;
  }
  const skipped = input.skippedApprovers ?? [];
  if (skipped.length > MAX_SKIPPED_APPROVERS) return `at most ${MAX_SKIPPED_APPROVERS} skipped approvers`;
  const notUser = skipped.find((u) => !USER_ID.test(u));
  if (notUser !== undefined) return `a skipped approver must be a Slack user id, got "${notUser.slice(0, 40)}"`;
  const channels = input.incidentChannels ?? [];
  if (channels.length > MAX_INCIDENT_CHANNELS) return `at most ${MAX_INCIDENT_CHANNELS} incident channels`;
  const notChannel = channels.find((c) => !c?.channel || !(CHANNEL_ID.test(c.channel) || /^#?[a-z0-9][a-z0-9._-]{0,79}$/.test(c.channel)));
  if (notChannel) return `an incident channel must be a channel id or name, got "${String(notChannel?.channel).slice(0, 40)}"`;
  return undefined;
}

export type SignOffVerdict = { ok: true; groups: string[] } | { ok: false; why: string };

/** The reviewer groups a person belongs to (own entries only: a group named `constructor` is a group). */
export function reviewerGroupsOf(state: Pick<ReviewState, 'reviewers'>, userId: string): string[] {
  return Object.entries(state.reviewers)
    .filter(([, members]) => members.includes(userId))
    .map(([group]) => group);
}

/** Who could sign off now: every reviewer but the person who broke the glass. */
export function whoMaySignOff(state: Pick<ReviewState, 'reviewers' | 'breakGlass'>): string[] {
  return [...new Set(Object.values(state.reviewers).flat())].filter((id) => id !== state.breakGlass.by);
}

/** Why a review is past signing off, the same wherever it is refused. */
export function reviewAlreadyClosed(state: Pick<ReviewState, 'signedOff'>): string {
  return `this review is already signed off${state.signedOff ? ` by ${state.signedOff.user.id}` : ''}`;
}

/**
 * May this person sign the review off: open, a member of a reviewer group,
 * and not the person who broke the glass (a review by oneself is none).
 */
export function judgeSignOff(state: Pick<ReviewState, 'status' | 'reviewers' | 'reviewerGroups' | 'breakGlass' | 'signedOff'>, userId: string): SignOffVerdict {
  if (state.status !== 'open') return { ok: false, why: reviewAlreadyClosed(state) };
  if (userId === state.breakGlass.by) return { ok: false, why: 'you broke the glass, so someone else must review it' };
  const groups = reviewerGroupsOf(state, userId);
  if (!groups.length) return { ok: false, why: `you are not a reviewer of this break-glass (reviewer groups: ${state.reviewerGroups.join(', ')})` };
  return { ok: true, groups };
}

/**
 * Records a refused sign-off, bounded as an approval's refusals are: the
 * latest REFUSALS_KEPT in full, a count per person for the first
 * REFUSERS_COUNTED people, the rest together. Returns this person's count,
 * which says whether they are still answered (see signOffRepliesUsed).
 */
export function recordSignOffRefusal(state: Pick<ReviewState, 'refused' | 'refusedCounts'>, refusal: RefusedSignOff): number {
  return recordRefusal(state, refusal);
}

/** Is a refusal with this count still answered (a flood of one person's clicks is not)? */
export const refusalAnswered = (count: number) => count <= REPLIES_PER_PERSON;

/** A review's "Current Details" in the Temporal UI (markdown). */
export function reviewDetails(state: ReviewState): string {
  const bg = state.breakGlass;
  const lines = [
    `**${state.status === 'open' ? 'Review open' : 'Signed off'}**: break-glass on ${md(state.approval.pipeline)} › ${md(state.approval.stage)} (${md(state.approval.execution)})`,
    '',
    `- Broken by ${bg.by} at ${bg.at}: ${md(bg.reason)}`,
    bg.overrode.length ? `- Overrode ${bg.overrode.map(md).join(', ')}` : '',
    `- Reviewers: ${state.reviewerGroups.map(md).join(', ')}`,
    state.status === 'open' ? `- ${state.reminders} reminder${state.reminders === 1 ? '' : 's'} so far` : '',
    state.signedOff ? `- Signed off by ${state.signedOff.user.id} via ${state.signedOff.via} at ${state.signedOff.at}${state.signedOff.note ? `: ${md(state.signedOff.note)}` : ''}` : '',
    ...state.refused.map((r) => `- Refused sign-off from ${r.user.id} at ${r.at}: ${md(r.why)}`),
    ...(state.problems ?? []).map((p) => `- Problem: ${md(p)}`),
  ];
  return lines.filter((l, i) => l || i === 1).join('\n');
}
