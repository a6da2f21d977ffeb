/**
 * One approval request, from the Slack card to the pipeline's answer.
 *
 * The workflow is the only judge of a decision: clicks, CLI and API calls
 * all go through judgeAttempt against the approval's own approver groups,
 * and every refusal is recorded and explained to the person who tried.
 *
 * ApprovalRun holds the run's state, in the shape of the incident workflow's
 * IncidentRun: the handlers are registered at the top and call its methods,
 * which judge and record; the main loop refreshes the card, answers the
 * clickers and keeps the deadline, the escalation and the reminders.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  ContinueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { approvalBlocks, approvalText } from '../../core/slack/blocks/approval-card';
import { escapeMrkdwn as esc, userMention, USER_ID } from '../../core/slack/mrkdwn';
import { failedApprovalBlocks, failedApprovalText } from '../../core/slack/blocks/approval-failed';
import { MAX_LISTED_APPROVERS, SA } from '../search-attributes';
import { SLACK_OPTIONS } from '../activity-options';
import { failureMessage } from '../../core/failure';
import { approvalDetails } from '../../core/details';
import { approvalDecisionSignal, approvalPostedUpdate, approvalStateQuery, cancelApprovalUpdate, decideUpdate } from '../messages';
import { clickMismatch, type SlackClickSignal } from '../../core/click';
import { alreadyFinal, approvalInputProblem, approvalsComplete, approvalShortfall, effectivePolicy, judgeAttempt, policyViolations, recordRefusal, refusalRepliesUsed, REPLIES_PER_PERSON, whoMayStillDecide } from '../../core/approval/policy';
import { approvalDuration, type ApprovalDurationField } from '../../core/approval/durations';
import type { ApprovalResult, ApprovalState, DecidedBy, DecideOutcome, DecisionAttempt, Identity, OutcomeReport, RecordedApprovalInput } from '../../core/approval/types';

/** Configuration lookups with no Slack call: a local activity, no task-queue round trip. */
const config = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary: 'Finding the Slack integration' });

/** Slack calls with a summary, so the Temporal UI's timeline reads like the story of the request. */
const slackSaying = (summary: string) => proxyActivities<Activities>({ ...SLACK_OPTIONS, summary });

/**
 * The card's update run first as a local activity, in the worker and the
 * workflow task that took the click: no round trip through the task queue
 * before the card shows it (docs/ARCHITECTURE.md, "The path of a click").
 * A versioned chat.update is safe to repeat whatever its attempt count says.
 * Short waits between attempts (a 5xx, a Retry-After of up to 3 s) stay in
 * the worker; a longer Retry-After is waited on a workflow timer, never
 * holding the workflow task. A call out of its 10 local seconds is made again
 * as a regular activity, which may wait as long as Slack asks.
 */
const LOCAL_CARD_OPTIONS = {
  startToCloseTimeout: '5 seconds',
  scheduleToCloseTimeout: '10 seconds',
  retry: SLACK_OPTIONS.retry,
  localRetryThreshold: '3 seconds',
} as const;

/** updateMessage locally first, then as a regular activity when the local one ran out of time; a refusal is final either way. */
async function updateCardMessage(summary: string, input: Parameters<Activities['updateMessage']>[0]): Promise<void> {
  try {
    await proxyLocalActivities<Activities>({ ...LOCAL_CARD_OPTIONS, summary }).updateMessage(input);
  } catch (err) {
    if (isCancellation(err) || !(err instanceof ActivityFailure) || (err.cause instanceof ApplicationFailure && err.cause.nonRetryable)) throw err;
    await slackSaying(summary).updateMessage(input);
  }
}

/**
 * Telling an outcome target: retried with backoff for about a day (GitHub
 * holds a gated job for 30 days; a callback's receiver may be down a while),
 * then a problem beside the outcome.
 */
const OUTCOME_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2, maximumAttempts: 150 },
} as const;

/** Replies to a clicker are best effort: a few tries, then give up (the record stays). */
const REPLY_OPTIONS = {
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 5, maximumInterval: '10 seconds' },
} as const;
const replies = proxyActivities<Activities>({ ...REPLY_OPTIONS, summary: 'Telling the clicker what happened' });

interface Reply {
  text: string;
  responseUrl?: string;
  channelId?: string;
  userId: string;
}

/** The card's idempotency key (postMessage): with the workflow id, it marks the card in Slack. */
const CARD_KEY = 'approval-card';

/** Replies sent side by side in one pass of the wait loop: a queue of them never holds up the outcome. */
export const REPLY_BATCH = 10;
/** Replies still sent when the approval ends (the most recent); older ones in a flood's backlog are dropped. */
export const FINAL_REPLIES = 50;

/** Everything a run hands to its continuation when its history grows long (a flood of clicks). */
export interface ApprovalCarry {
  state: ApprovalState;
  startedAt: number;
  nextReminder: number;
  reminders: number;
  outbox: Reply[];
  lastResponseUrl?: string;
  /** The integration that owns the card's app (for a webhook card, the webhook's). */
  cardIntegration?: string;
  /** The version of the card's last update (see cardVersion). */
  cardVersion?: number;
}

/** A Slack verb as the workflow understands it: `approve`, `reject`, or their modal-opening variants. */
function verbOf(verb: string): 'approve' | 'reject' | undefined {
  if (verb === 'approve' || verb.startsWith('approve-')) return 'approve';
  if (verb === 'reject' || verb.startsWith('reject-')) return 'reject';
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function toAttempt(s: SlackClickSignal, verb: 'approve' | 'reject'): DecisionAttempt {
  const values = { ...(s.values ?? {}) };
  const reason = values.reason?.trim() || undefined;
  delete values.reason;
  return {
    verb,
    user: { id: s.user.id, name: s.user.name },
    via: 'slack',
    reason,
    inputs: Object.keys(values).length ? values : undefined,
    // A modal submission has no response_url of its own: the modal carries its click's.
    responseUrl: s.responseUrl ?? str(s.metadata?.responseUrl),
    channelId: s.channelId ?? str(s.metadata?.channelId),
  };
}

/** "14:30 UTC": timer summaries say until when, in the zone the UI's times can be compared with. */
const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A duration of the run's input in milliseconds. Only runs recorded before
 * durations were milliseconds carry text: one that does not parse fails the
 * approval at once (a thrown TypeError would retry the workflow task forever).
 */
function durationOf(request: RecordedApprovalInput, field: ApprovalDurationField): number | undefined {
  try {
    return approvalDuration(request, field);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`${field}: ${(err as Error).message}`, 'InvalidApprovalRequest');
  }
}

/**
 * The approval gate. When the run fails after its card was posted, the card
 * says so and loses its buttons before the failure is reported; runs that
 * failed before this change replay without that update.
 */
export async function approval(request: RecordedApprovalInput, carried?: ApprovalCarry): Promise<ApprovalResult> {
  const run = new ApprovalRun(request, carried);
  setHandler(approvalStateQuery, () => run.state);
  // A run that fails its start checks ends with this still waiting (the SDK warns of no unfinished handler on a failure): the caller reads the failure instead.
  setHandler(approvalPostedUpdate, () => run.whenPosted());
  setHandler(approvalDecisionSignal, (signal) => run.receiveClick(signal));
  setHandler(decideUpdate, (attempt) => run.receiveDecision(attempt), { validator: validateDecision });
  setHandler(cancelApprovalUpdate, (cancel) => run.receiveCancel(cancel));
  return await run.execute();
}

function validateDecision(attempt: DecisionAttempt): void {
  if (attempt.verb !== 'approve' && attempt.verb !== 'reject') throw new Error('verb must be approve or reject');
  if (!attempt.user?.id) throw new Error('a decision needs the deciding user');
}

/**
 * One approval run: the state, what the run keeps beside it (the replies
 * outbox, the card's version, the timers), and each concern a method. The
 * handlers judge and record; the main loop refreshes the card, answers the
 * clickers and keeps the timers.
 */
class ApprovalRun {
  readonly state: ApprovalState;
  /**
   * Runs begun before clicks were checked against the card, refusals bounded
   * and replies batched replay down the old path; every new run takes the new one.
   */
  private readonly trusted: boolean;
  /** Runs begun before the workflow checked its numbers replay without the checks. */
  private readonly bounded: boolean;
  private readonly inputProblem: string | undefined;
  private readonly dest: RecordedApprovalInput['destination'];
  /** Where the card is, for the Temporal UI's summaries. */
  private readonly where: string;
  private readonly startedAt: number;
  private readonly deadline: number;
  /** Answers owed to the people who clicked, sent by the main loop. */
  private readonly outbox: Reply[];
  /** The card no longer shows the state. */
  private dirty = false;
  /** Decisions wait until the approvers are resolved: judged earlier, every approver would be "not an approver". */
  private ready = false;
  private lastResponseUrl: string | undefined;
  /** Which app's clicks this card takes: the integration that posted it, or the webhook's owner. */
  private cardIntegration: string | undefined;
  /**
   * Rises with every card update and travels in the card's metadata, so an
   * older update is never written over a newer one (SECURITY.md, "A decided
   * outcome stands"). Runs begun before it replay without versions.
   */
  private cardVersion: number;
  private remindMs: number | undefined;
  private nextReminder = Infinity;
  private reminders: number;
  private escalateAt = Infinity;

  constructor(
    private readonly request: RecordedApprovalInput,
    private readonly carried: ApprovalCarry | undefined,
  ) {
    this.trusted = carried !== undefined || patched('approval-trust');
    this.bounded = carried !== undefined || patched('approval-bounds');
    this.inputProblem = this.bounded ? approvalInputProblem(request) : undefined;
    const timeoutMs = this.inputProblem ? 0 : durationOf(request, 'timeout')!;
    this.startedAt = carried?.startedAt ?? Date.now();
    this.deadline = this.startedAt + timeoutMs;
    this.state = carried?.state ?? {
      workflowId: workflowInfo().workflowId,
      status: 'pending',
      request,
      approvers: {},
      approvals: 0,
      needed: Math.max(1, request.minApprovals ?? 1),
      decisions: [],
      refused: [],
      expiresAt: new Date(this.startedAt + timeoutMs).toISOString(),
      escalated: false,
    };
    this.outbox = carried?.outbox ?? [];
    this.lastResponseUrl = carried?.lastResponseUrl;
    this.cardIntegration = carried?.cardIntegration;
    this.cardVersion = carried?.cardVersion ?? 0;
    this.reminders = carried?.reminders ?? 0;
    this.dest = request.destination;
    this.where = 'channel' in this.dest ? this.dest.channel : `incoming webhook "${this.dest.webhook}"`;
  }

  // ---- handlers: they judge and record; the main loop tells Slack ----

  async whenPosted(): Promise<ApprovalState> {
    await condition(() => this.ready);
    return this.state;
  }

  async receiveClick(signal: SlackClickSignal): Promise<void> {
    await condition(() => this.ready);
    const verb = verbOf(signal.verb);
    const responseUrl = signal.responseUrl ?? str(signal.metadata?.responseUrl);
    const channelId = signal.channelId ?? str(signal.metadata?.channelId);
    if (!verb) {
      this.outbox.push({ text: `Not recorded: "${esc(String(signal.verb))}" is not a decision this approval knows.`, responseUrl, channelId, userId: signal.user.id });
      return;
    }
    const attempt = toAttempt(signal, verb);
    if (this.trusted) {
      // A click counts only if it belongs to this card: signed by its app, from its channel and message.
      const mismatch = clickMismatch({ integration: this.cardIntegration ?? '', channel: this.state.message?.channel, ts: this.state.message?.ts }, signal);
      if (mismatch) {
        const { outcome, answer } = this.refuse(attempt, mismatch);
        if (answer) this.outbox.push({ text: outcome.message, responseUrl: attempt.responseUrl, userId: attempt.user.id });
        return;
      }
    }
    if (attempt.responseUrl) this.lastResponseUrl = attempt.responseUrl;
    const outcome = this.decide(attempt);
    if (this.trusted && !outcome.accepted && refusalRepliesUsed(this.state, attempt.user.id)) return;
    this.outbox.push({ text: outcome.message, responseUrl: attempt.responseUrl, channelId: attempt.channelId, userId: attempt.user.id });
  }

  /** A decision from the CLI or API. */
  async receiveDecision(attempt: DecisionAttempt): Promise<DecideOutcome> {
    await condition(() => this.ready);
    return this.decide({ ...attempt, via: attempt.via === 'slack' ? 'api' : attempt.via });
  }

  async receiveCancel({ by, reason, caller }: { by?: Identity; reason?: string; caller?: DecidedBy }): Promise<DecideOutcome> {
    await condition(() => this.ready);
    const state = this.state;
    // Refused as a late decision is, and as the approvals service refuses it once the run has ended.
    if (state.status !== 'pending') return { accepted: false, message: `Not recorded: ${alreadyFinal(state)}.`, status: state.status };
    if (caller) state.cancelledBy = caller;
    this.finish('cancelled', `Cancelled${by ? ` by ${USER_ID.test(by.id) ? userMention(by.id) : esc(by.name ?? by.id)}` : ''}${reason ? `: ${esc(reason)}` : ''}`);
    return { accepted: true, message: 'Cancelled.', status: state.status };
  }

  // ---- judging ----

  /** Judges and records one attempt; returns what to tell the person. */
  private decide(attempt: DecisionAttempt): DecideOutcome {
    const state = this.state;
    const verdict = judgeAttempt(state, attempt);
    const at = new Date(Date.now()).toISOString();
    if (!verdict.ok) return this.refuse(attempt, verdict.why).outcome;
    state.decisions.push({ verb: attempt.verb, user: attempt.user, at, via: attempt.via, reason: attempt.reason, inputs: attempt.inputs, groups: verdict.groups, ...(attempt.by ? { by: attempt.by } : {}) });
    if (attempt.verb === 'reject') this.finish('rejected', `Rejected by ${esc(attempt.user.name ?? attempt.user.id)}${attempt.reason ? `: ${esc(attempt.reason)}` : ''}`);
    else {
      state.approvals = state.decisions.filter((d) => d.verb === 'approve').length;
      if (approvalsComplete(state, { distinctPeople: this.trusted })) this.finish('approved');
    }
    this.dirty = true;
    this.showDetails();
    const message =
      attempt.verb === 'reject'
        ? 'Your rejection is recorded: the request is rejected.'
        : state.status === 'approved'
          ? 'Your approval is recorded: the request is approved.'
          : `Your approval is recorded (${state.approvals} of ${state.needed}).`;
    return { accepted: true, message, status: state.status };
  }

  /** Records a refusal; `answer` says whether this person's refusals are still answered (a flood is not). */
  private refuse(attempt: Pick<DecisionAttempt, 'verb' | 'user' | 'via' | 'by'>, why: string): { outcome: DecideOutcome; answer: boolean } {
    const at = new Date(Date.now()).toISOString();
    const refusal = { verb: attempt.verb, user: attempt.user, at, via: attempt.via, why, ...(attempt.by ? { by: attempt.by } : {}) };
    let count = 1;
    if (this.trusted) count = recordRefusal(this.state, refusal);
    else this.state.refused.push(refusal);
    log.info('decision refused', { user: attempt.user.id, why });
    this.showDetails();
    return { outcome: { accepted: false, message: `Not recorded: ${why}.`, status: this.state.status }, answer: !this.trusted || count <= REPLIES_PER_PERSON };
  }

  private finish(status: ApprovalState['status'], note?: string): void {
    this.state.status = status;
    this.state.finishedAt = new Date(Date.now()).toISOString();
    this.state.outcomeNote = note;
    this.dirty = true;
    this.showDetails();
  }

  // ---- the lifecycle ----

  async execute(): Promise<ApprovalResult> {
    try {
      return await this.run();
    } catch (err) {
      await this.markCardFailed(err);
      throw err;
    }
  }

  private async run(): Promise<ApprovalResult> {
    // An input no edge lets through fails this run, saying why: never the worker, never a replay.
    if (this.inputProblem) throw ApplicationFailure.nonRetryable(this.inputProblem, 'ImpossibleApproval');
    if (this.carried) this.resume();
    else await this.begin();
    this.setTimers();
    while (this.state.status === 'pending') {
      if (this.trusted && workflowInfo().continueAsNewSuggested) {
        // A long history (a flood of clicks): hand everything to a fresh run once every handler has finished.
        await condition(allHandlersFinished);
        if (this.state.status !== 'pending') break;
        return await this.continueAsNew();
      }
      const woke = await this.waitForNews();
      if (this.dirty && this.state.status === 'pending') await this.refresh();
      await this.flushReplies();
      if (!woke) await this.timerDue();
    }
    return await this.end();
  }

  /** A new run: finds the integration and the approvers, then posts the card. */
  private async begin(): Promise<void> {
    const { request, dest, state } = this;
    upsertSearchAttributes([
      { key: SA.kind, value: 'approval' },
      { key: SA.status, value: 'pending' },
      { key: SA.pipeline, value: request.pipeline },
      { key: SA.stage, value: request.stage },
      ...(request.requestedBy ? [{ key: SA.requestedBy, value: request.requestedBy }] : []),
      ...(request.destination.project ? [{ key: SA.project, value: request.destination.project }] : []),
    ]);

    // Where the card goes and who may decide.
    this.showDetails();
    // Which integration posts is configuration, no Slack call: a local activity, as for incidents.
    // Approvals that began before this change recorded a regular activity here and replay down that path.
    const lookup = { project: dest.project, connector: 'channel' in dest ? dest.connector : undefined, integration: 'channel' in dest ? dest.integration : undefined };
    const integration =
      'channel' in dest
        ? patched('resolve-integration-locally')
          ? await config.resolveIntegration(lookup)
          : await slackSaying('Finding the Slack integration').resolveIntegration(lookup)
        : undefined;
    const resolved = await slackSaying(`Resolving approvers: ${request.approverGroups.join(', ')}`).resolveApprovers({
      integration,
      ...('webhook' in dest ? { webhook: dest.webhook } : {}),
      groups: request.approverGroups,
      requestedBy: request.requestedBy,
      // The policy covers the escalation's groups too, as the entry check does: widening never loosens it.
      policyGroups: [...request.approverGroups, ...(request.escalation?.approverGroups ?? [])],
    });
    // A request asking for more than configuration grants (approve on timeout, self-approval) fails here,
    // saying why, before any card: never silently run as something else (SECURITY.md). Every entry refuses
    // it too where it knows the configuration; a CLI without one does not.
    const beyond = resolved.policy ? policyViolations(request, resolved.policy) : [];
    if (beyond.length && patched('refuse-beyond-policy')) {
      throw ApplicationFailure.nonRetryable(beyond.map((v) => v.message).join('; '), 'ApprovalBeyondPolicy');
    }
    state.approvers = resolved.approvers;
    state.requester = resolved.requester;
    if (resolved.policy) state.policy = resolved.policy;
    state.integration = integration;
    this.listApprovers();
    if (this.bounded && Object.values(state.approvers).some((m) => m.length > 0)) {
      // Minimums nobody can meet (started past the API's and CLI's checks) fail the run before a card asks for them.
      const shortfall = approvalShortfall(state, request.escalation?.approverGroups ?? []);
      if (shortfall) throw ApplicationFailure.nonRetryable(shortfall, 'ImpossibleApproval');
    }
    this.cardIntegration = integration ?? ('webhook' in dest && this.trusted ? await config.webhookOwner({ webhook: dest.webhook }) : undefined);
    this.showDetails();
    if (Object.values(state.approvers).every((m) => m.length === 0)) {
      this.finish('rejected', `No approvers could be resolved from ${esc(request.approverGroups.join(', '))}`);
    }
    await this.post();
    this.ready = true;
  }

  /** A continued run: the card is posted, the approvers known. */
  private resume(): void {
    this.ready = true;
    this.showDetails();
  }

  /**
   * The reminder and escalation times. Read after the card is posted: a
   * duration that does not parse (only in runs recorded before durations
   * were milliseconds) fails the run with the card marked failed.
   */
  private setTimers(): void {
    const { request, startedAt } = this;
    this.remindMs = durationOf(request, 'remindEvery');
    this.nextReminder = this.carried?.nextReminder ?? (this.remindMs ? startedAt + this.remindMs : Infinity);
    this.escalateAt = request.escalation ? startedAt + durationOf(request, 'escalation.after')! : Infinity;
  }

  /** Until a decision, a reply owed or a card to refresh; false when a timer is due (the deadline, the escalation or a reminder). */
  private async waitForNews(): Promise<boolean> {
    const { deadline, nextReminder, state } = this;
    const nextEvent = Math.min(deadline, nextReminder, state.escalated ? Infinity : this.escalateAt);
    const next = nextEvent === deadline ? '' : nextEvent === nextReminder ? `; reminder at ${clock(nextEvent)}` : `; escalation at ${clock(nextEvent)}`;
    return await condition(() => this.dirty || this.outbox.length > 0 || state.status !== 'pending', Math.max(1, nextEvent - Date.now()), {
      summary: `Waiting for ${plural(state.needed - state.approvals, 'more approval')} until ${clock(deadline)}${next}`,
    });
  }

  private async timerDue(): Promise<void> {
    const now = Date.now();
    if (now >= this.deadline) this.expire();
    else if (!this.state.escalated && now >= this.escalateAt && this.request.escalation) await this.escalate(this.request.escalation);
    else if (now >= this.nextReminder) await this.remind(now);
  }

  /** Hands everything to a fresh run. */
  private async continueAsNew(): Promise<never> {
    const carry: ApprovalCarry = {
      state: this.state,
      startedAt: this.startedAt,
      nextReminder: this.nextReminder,
      reminders: this.reminders,
      outbox: this.outbox,
      lastResponseUrl: this.lastResponseUrl,
      cardIntegration: this.cardIntegration,
      cardVersion: this.cardVersion,
    };
    return await continueAsNew<typeof approval>(this.request, carry);
  }

  /** Decided, expired or cancelled: the card, the last replies, the outcome targets, then the answer. */
  private async end(): Promise<ApprovalResult> {
    const state = this.state;
    await this.refresh();
    await this.flushReplies(true);
    await this.tellTargets();
    const finalStatus = this.effectiveStatus();
    upsertSearchAttributes([
      { key: SA.status, value: state.status },
      ...(state.decisions.length ? [{ key: SA.decidedBy, value: state.decisions.map((d) => d.user.id) }] : []),
    ]);
    log.info('approval finished', { status: state.status, effective: finalStatus });

    const inputs = this.latestInputs();
    return {
      workflowId: state.workflowId,
      status: state.status,
      decisions: state.decisions,
      refused: state.refused,
      finishedAt: state.finishedAt,
      outcomeNote: state.outcomeNote,
      ...(state.problems?.length ? { problems: state.problems } : {}),
      message: state.message,
      inputs,
      proceed: finalStatus === 'approved',
    };
  }

  // ---- timers: the deadline, the escalation, reminders ----

  private expire(): void {
    const outcome = effectivePolicy(this.state).approveOnTimeout ? 'approved on timeout' : 'rejected on timeout';
    this.finish('expired', `Nobody decided by ${this.state.expiresAt}: ${outcome}`);
  }

  private async escalate(escalation: NonNullable<RecordedApprovalInput['escalation']>): Promise<void> {
    const { request, dest, state } = this;
    state.escalated = true;
    const more = await slackSaying(`Escalating to ${escalation.approverGroups.join(', ')}`).resolveApprovers({
      integration: state.integration,
      ...('webhook' in dest ? { webhook: dest.webhook } : {}),
      groups: escalation.approverGroups,
      requestedBy: request.requestedBy,
    });
    for (const [group, members] of Object.entries(more.approvers)) state.approvers[group] = members;
    this.listApprovers();
    // Widening the approvers never loosens the policy: a permission holds only if the new groups grant it too.
    if (state.policy && more.policy) {
      state.policy = { allowSelfApproval: state.policy.allowSelfApproval && more.policy.allowSelfApproval, allowApproveOnTimeout: state.policy.allowApproveOnTimeout && more.policy.allowApproveOnTimeout };
    }
    this.showDetails();
    const shortfall = this.bounded ? approvalShortfall(state) : undefined;
    if (shortfall) throw ApplicationFailure.nonRetryable(shortfall, 'ImpossibleApproval');
    const mentions = Object.values(more.approvers).flat().map(userMention).join(' ');
    await this.notify(`:rotating_light: Escalated: ${mentions || esc(escalation.approverGroups.join(', '))} — please review this approval.`, `escalation`);
    await this.refresh();
  }

  private async remind(now: number): Promise<void> {
    const state = this.state;
    this.reminders += 1;
    this.nextReminder = now + this.remindMs!;
    // Who may still decide is the policy module's answer for every run (a reminder's text is no command: older runs replay).
    const waiting = whoMayStillDecide(state);
    await this.notify(`:bell: Reminder: still waiting for ${state.needed - state.approvals} approval(s). ${waiting.map(userMention).join(' ')}`, `reminder-${this.reminders}`);
  }

  /** A reminder or the escalation, in the card's thread (or below a webhook's card). */
  private async notify(text: string, key: string): Promise<void> {
    const { state, dest, where } = this;
    const slack = slackSaying(key.startsWith('reminder') ? `Reminding the approvers in ${where}` : `Announcing the escalation in ${where}`);
    if (state.message && state.integration) {
      await slack.postMessage({ integration: state.integration, channel: state.message.channel, threadTs: state.message.ts, text, idempotencyKey: key });
    } else if ('webhook' in dest) {
      await slack.postToWebhook({ webhook: dest.webhook, text });
    }
  }

  // ---- the card ----

  private async post(): Promise<void> {
    const { dest, state } = this;
    const text = approvalText(state);
    const blocks = approvalBlocks(state);
    const slack = slackSaying(`Posting approval request to ${this.where}`);
    if ('channel' in dest) {
      state.message = await slack.postMessage({
        integration: state.integration!,
        channel: dest.channel,
        text,
        blocks,
        idempotencyKey: CARD_KEY,
        permalink: true,
        metadata: this.cardMetadata(),
      });
    } else {
      await slack.postToWebhook({ webhook: dest.webhook, text, blocks });
    }
    this.showDetails();
  }

  /**
   * Brings the card up to date. A card Slack will not update (an archived or
   * deleted channel, a deleted message, a revoked token) is a problem recorded
   * beside the outcome, never a failure of the run: once people decided, that
   * stands (SECURITY.md, "A decided outcome stands").
   */
  private async refresh(): Promise<void> {
    try {
      await this.updateCard();
    } catch (err) {
      if (isCancellation(err) || !patched('card-failure-is-a-problem')) throw err;
      const problem = `card: not updated: ${slackReasonOf(err)}`;
      log.warn('the approval card could not be updated', { problem });
      const problems = (this.state.problems ??= []);
      if (!problems.includes(problem)) problems.push(problem);
      this.showDetails();
    }
  }

  private async updateCard(): Promise<void> {
    const { state, dest } = this;
    this.dirty = false;
    const text = approvalText(state);
    const blocks = approvalBlocks(state);
    const status = state.status === 'pending' ? `${state.approvals} of ${plural(state.needed, 'approval')}` : state.status;
    const summary = `Updating the approval card in ${this.where}: ${status}`;
    const slack = slackSaying(summary);
    if (state.message && state.integration) {
      // One update at a time: the workflow awaits each before the next, and the version keeps a late one from being written last.
      const update = { integration: state.integration, channel: state.message.channel, ts: state.message.ts, text, blocks, version: this.nextCardVersion(), postedWith: { idempotencyKey: CARD_KEY, metadata: this.cardMetadata() } };
      // Runs whose card updates were regular activities replay down that path; only a versioned update is safe to run locally.
      if (update.version !== undefined && patched('card-update-local')) await updateCardMessage(summary, update);
      else await slack.updateMessage(update);
    } else if (this.lastResponseUrl) {
      // A webhook's message can only be changed through a click's response_url.
      // A response_url is good for a few uses within 30 minutes: a few tries, like the replies.
      await proxyActivities<Activities>({ ...REPLY_OPTIONS, summary: `Updating the approval card through the last click: ${status}` }).respondToClick({
        responseUrl: this.lastResponseUrl,
        text,
        blocks,
        replaceOriginal: true,
      });
    } else if ('webhook' in dest && state.status !== 'pending') {
      // Nobody clicked (a timeout, a decision from the CLI or API): the card cannot be edited, so say the outcome below it.
      await slack.postToWebhook({ webhook: dest.webhook, text });
    }
  }

  /** The metadata the card is posted with, beside its idempotency key (updates keep both). */
  private cardMetadata(): { pipeline: string; stage: string; execution: string } {
    const { request } = this;
    return { pipeline: request.pipeline, stage: request.stage, execution: request.execution };
  }

  /** A run that fails after its card was posted marks the card failed, so nobody clicks a dead card. */
  private async markCardFailed(err: unknown): Promise<void> {
    const state = this.state;
    // Continuing as new is no failure: the next run carries the card on.
    if (err instanceof ContinueAsNew || isCancellation(err) || !state.message || !state.integration || !patched('card-says-failed')) return;
    const reason = failureMessage(err);
    try {
      await slackSaying('Marking the approval card failed').updateMessage({
        integration: state.integration,
        channel: state.message.channel,
        ts: state.message.ts,
        text: failedApprovalText(state, reason),
        blocks: failedApprovalBlocks(state, reason),
        version: this.nextCardVersion(),
      });
    } catch (updateErr) {
      log.warn('could not mark the approval card failed', { error: String(updateErr) });
    }
  }

  /** The next card version, or none for runs that updated their cards before versions. */
  private nextCardVersion(): number | undefined {
    if (!patched('card-versions')) return undefined;
    this.cardVersion += 1;
    return this.cardVersion;
  }

  // ---- replies to the clickers ----

  /**
   * Answers the clickers, side by side: one batch per pass of the wait loop,
   * so the loop sees a decision soon. At the end (`final`), the most recent
   * replies (the decider's among them) go out in one round, and a flood's
   * backlog is dropped rather than holding up the outcome: it is recorded.
   */
  private async flushReplies(final = false): Promise<void> {
    const outbox = this.outbox;
    if (!this.trusted) {
      while (outbox.length) await this.answer(outbox.shift()!);
      return;
    }
    const batch = final ? outbox.splice(-FINAL_REPLIES) : outbox.splice(0, REPLY_BATCH);
    if (final && outbox.length) {
      log.warn('replies left unsent at the end of a flooded approval', { dropped: outbox.length });
      outbox.length = 0;
    }
    await Promise.all(batch.map((reply) => this.answer(reply)));
  }

  private async answer(reply: Reply): Promise<void> {
    const integration = this.state.integration;
    try {
      if (reply.responseUrl) await replies.respondToClick({ responseUrl: reply.responseUrl, text: reply.text, ephemeral: true });
      else if (reply.channelId && integration) await replies.postEphemeral({ integration, channel: reply.channelId, user: reply.userId, text: reply.text });
    } catch (err) {
      log.warn('could not answer the clicker', { error: String(err) });
    }
  }

  // ---- the outcome ----

  /**
   * Tells each of the request's outcome targets (a callback URL, GitHub) what
   * was decided. A target whose side ended meanwhile (GitHub: the run was
   * cancelled) ends the approval so, card included; a target that cannot be
   * told is a problem beside the outcome.
   */
  private async tellTargets(): Promise<void> {
    const { request, state } = this;
    if (!request.notify?.length || !patched('outcome-targets')) return;
    for (const target of request.notify) {
      const report: OutcomeReport = { approvalId: state.workflowId, status: state.status, proceed: this.effectiveStatus() === 'approved', decisions: state.decisions, inputs: this.latestInputs(), outcomeNote: state.outcomeNote, permalink: state.message?.permalink };
      try {
        const delivery = await proxyActivities<Activities>({ ...OUTCOME_OPTIONS, summary: `Telling the ${target.kind} target: ${state.status}` }).deliverOutcome({ target, report });
        if (delivery.superseded && state.status !== 'cancelled') {
          this.finish(delivery.superseded.status, esc(delivery.superseded.note));
          await this.refresh();
        }
      } catch (err) {
        if (isCancellation(err)) throw err;
        const problem = `${target.kind}: not told: ${failureMessage(err)}`;
        log.warn('an outcome target could not be told', { problem });
        (state.problems ??= []).push(problem);
        this.showDetails();
      }
    }
  }

  /** May what the approval gates go on: approved, or expired where configuration lets a timeout approve. */
  private effectiveStatus(): ApprovalState['status'] {
    const state = this.state;
    return state.status === 'expired' ? (effectivePolicy(state).approveOnTimeout ? 'approved' : 'rejected') : state.status;
  }

  private latestInputs(): Record<string, string> {
    const values: Record<string, string> = {};
    for (const d of this.state.decisions) Object.assign(values, d.inputs ?? {});
    return values;
  }

  // ---- helpers ----

  /** The Temporal UI's "Current Details": the approval as it stands now. */
  private showDetails(): void {
    setCurrentDetails(approvalDetails(this.state));
  }

  /** Who may decide, as a search attribute: `/signalroom approvals` finds a person's pending runs by it, however many others are pending. */
  private listApprovers(): void {
    if (!patched('approvers-search-attribute')) return;
    const people = [...new Set(Object.values(this.state.approvers).flat())];
    // Too many to list within Temporal's size bound: left unset, and such runs are looked at for everyone.
    if (people.length > 0 && people.length <= MAX_LISTED_APPROVERS) upsertSearchAttributes([{ key: SA.approvers, value: people }]);
  }
}

/** Slack's own reason for a failed call (`is_archived`, `cant_update_message`), else the innermost message. */
function slackReasonOf(err: unknown): string {
  let e = err as { type?: string; cause?: unknown } | undefined;
  while (e) {
    if (typeof e.type === 'string' && e.type.startsWith('Slack:')) return e.type.slice('Slack:'.length);
    e = e.cause as typeof e;
  }
  return failureMessage(err);
}
