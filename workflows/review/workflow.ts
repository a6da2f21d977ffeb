/**
 * The review a break-glass opens (README, "Break-glass"). The approval
 * workflow starts it as a child (parent close policy ABANDON: the review
 * outlives the approval) with id `review:<approval workflow id>`.
 *
 * On start it tells the approvers the break-glass skipped (a direct message
 * each) and the incident channels whose holds it overrode, then posts the
 * review in the review channel with a Sign off button. Until a reviewer
 * signs it off it reminds the reviewers in the message's thread; a sign-off
 * from the button, the CLI or the API is judged by core/holds/review.ts
 * (a reviewer, and never the person who broke the glass), and a click must
 * come from the review's own message (SECURITY.md, "A break-glass is
 * reviewed by someone else"). It may remind for weeks: it continues as new
 * as its history grows.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { SLACK_OPTIONS } from '../activity-options';
import { SA } from '../search-attributes';
import { reviewSignOffClickSignal, reviewSignOffUpdate, reviewStateQuery } from '../messages';
import { clickMismatch, type SlackClickSignal } from '../../core/click';
import { failureMessage } from '../../core/failure';
import { escapeMrkdwn as esc } from '../../core/slack/mrkdwn';
import {
  judgeSignOff,
  MAX_NOTE_LENGTH,
  recordSignOffRefusal,
  refusalAnswered,
  reviewDetails,
  reviewInputProblem,
  whoMaySignOff,
  type BreakGlassReviewInput,
  type ReviewState,
  type SignOffAttempt,
  type SignOffOutcome,
} from '../../core/holds/review';
import { incidentChannelText, reviewBlocks, reviewReminderText, reviewText, skippedApproverText } from '../../core/slack/blocks/break-glass-review';

export { reviewWorkflowId, type BreakGlassReviewInput } from '../../core/holds/review';

/** Slack calls with a summary, so the Temporal UI's timeline reads like the story of the review. */
const slackSaying = (summary: string) => proxyActivities<Activities>({ ...SLACK_OPTIONS, summary });

/** Replies to a clicker are best effort: a few tries, then give up (the record stays). */
const replies = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { maximumAttempts: 5, maximumInterval: '10 seconds' }, summary: 'Telling the clicker what happened' });

/** Past this many events the review continues as new, carrying its state. */
const HISTORY_LIMIT = 8_000;
/** Replies sent side by side in one pass of the wait loop. */
const REPLY_BATCH = 10;
/** Replies still sent when the review closes (the most recent); older ones in a flood's backlog are dropped. */
const FINAL_REPLIES = 50;
/** Problems kept beside the review. */
const PROBLEMS_KEPT = 50;

interface Reply {
  text: string;
  responseUrl?: string;
  channelId?: string;
  userId: string;
}

/** Everything a run hands to its continuation. */
export interface ReviewCarry {
  state: ReviewState;
  nextReminder: number;
  outbox: Reply[];
  /** The version of the review message's last update (see UpdateMessageInput.version). */
  messageVersion: number;
}

export async function breakGlassReview(input: BreakGlassReviewInput, carried?: ReviewCarry): Promise<ReviewState> {
  const run = new ReviewRun(input, carried);
  setHandler(reviewStateQuery, () => run.state);
  setHandler(reviewSignOffClickSignal, (signal) => run.receiveClick(signal));
  setHandler(reviewSignOffUpdate, (attempt) => run.receiveSignOff(attempt), { validator: validateSignOff });
  return await run.execute();
}

function validateSignOff(attempt: SignOffAttempt): void {
  if (!attempt?.user?.id) throw new Error('a sign-off needs the user signing off');
  if (attempt.note !== undefined && (typeof attempt.note !== 'string' || attempt.note.length > MAX_NOTE_LENGTH)) throw new Error(`a note is text of at most ${MAX_NOTE_LENGTH} characters`);
}

const now = () => new Date(Date.now()).toISOString();
const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

class ReviewRun {
  readonly state: ReviewState;
  private readonly outbox: Reply[];
  private nextReminder: number;
  private messageVersion: number;
  /** Sign-offs wait until the reviewers are known and the review is posted. */
  private ready = false;

  constructor(
    private readonly input: BreakGlassReviewInput,
    private readonly carried: ReviewCarry | undefined,
  ) {
    // Nothing here may throw on a malformed input: the run fails saying why (reviewInputProblem), never the workflow task.
    this.state = carried?.state ?? {
      workflowId: workflowInfo().workflowId,
      approvalId: input.approvalId,
      status: 'open',
      approval: input.approval,
      breakGlass: input.breakGlass,
      reviewerGroups: input.reviewerGroups ?? [],
      reviewers: {},
      channel: input.channel,
      integration: input.integration,
      openedAt: now(),
      notified: { approvers: [], incidentChannels: [] },
      reminders: 0,
      refused: [],
    };
    this.outbox = carried?.outbox ?? [];
    this.nextReminder = carried?.nextReminder ?? Infinity;
    this.messageVersion = carried?.messageVersion ?? 0;
  }

  // ---- handlers: they judge and record; the main loop tells Slack ----

  async receiveClick(signal: SlackClickSignal): Promise<void> {
    await condition(() => this.ready);
    const user = { id: signal.user.id, ...(signal.user.name ? { name: signal.user.name } : {}) };
    if (signal.verb !== 'sign-off') {
      this.outbox.push({ text: `Not recorded: "${esc(String(signal.verb))}" is not something this review knows.`, responseUrl: signal.responseUrl, userId: user.id });
      return;
    }
    // A click counts only if it belongs to the review's message: signed by its app, from its channel and message.
    const message = this.state.message;
    const mismatch = clickMismatch({ integration: this.input.integration, channel: message?.channel, ts: message?.ts }, signal);
    if (mismatch) {
      const { outcome, answer } = this.refuse({ user, via: 'slack' }, mismatch);
      // Answered only through the click's own response_url: never into a channel the click merely claims.
      if (answer) this.outbox.push({ text: outcome.message, responseUrl: signal.responseUrl, userId: user.id });
      return;
    }
    const { outcome, answer } = this.decide({ user, via: 'slack' });
    if (answer) this.outbox.push({ text: outcome.message, responseUrl: signal.responseUrl, channelId: signal.channelId, userId: user.id });
  }

  /** A sign-off from the CLI or API. */
  async receiveSignOff(attempt: SignOffAttempt): Promise<SignOffOutcome> {
    await condition(() => this.ready);
    return this.decide({ ...attempt, via: attempt.via === 'slack' ? 'api' : attempt.via }).outcome;
  }

  // ---- judging ----

  private decide(attempt: SignOffAttempt): { outcome: SignOffOutcome; answer: boolean } {
    const state = this.state;
    const verdict = judgeSignOff(state, attempt.user.id);
    if (!verdict.ok) return this.refuse(attempt, verdict.why);
    const at = now();
    const note = attempt.note?.trim().slice(0, MAX_NOTE_LENGTH) || undefined;
    state.signedOff = { user: attempt.user, ...(note ? { note } : {}), at, via: attempt.via, groups: verdict.groups, ...(attempt.by ? { by: attempt.by } : {}) };
    state.status = 'signed-off';
    state.finishedAt = at;
    log.info('break-glass review signed off', { user: attempt.user.id, via: attempt.via });
    this.showDetails();
    return { outcome: { accepted: true, message: 'Your sign-off is recorded: the break-glass review is closed.', status: state.status }, answer: true };
  }

  /** Records a refusal; `answer` says whether this person's refusals are still answered (a flood is not). */
  private refuse(attempt: Pick<SignOffAttempt, 'user' | 'via' | 'by'>, why: string): { outcome: SignOffOutcome; answer: boolean } {
    const count = recordSignOffRefusal(this.state, { user: attempt.user, at: now(), via: attempt.via, why, ...(attempt.by ? { by: attempt.by } : {}) });
    log.info('sign-off refused', { user: attempt.user.id, why });
    this.showDetails();
    return { outcome: { accepted: false, message: `Not recorded: ${why}.`, status: this.state.status }, answer: refusalAnswered(count) };
  }

  // ---- the lifecycle ----

  async execute(): Promise<ReviewState> {
    const problem = reviewInputProblem(this.input);
    // An input no caller should send fails this run, saying why: never the worker, never a replay.
    if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidReview');
    if (this.carried) this.ready = true;
    else await this.begin();
    const state = this.state;
    while (state.status === 'open') {
      const woke = await this.waitForNews();
      await this.flushReplies();
      if (state.status !== 'open') break;
      if (!woke && Date.now() >= this.nextReminder) await this.remind();
      if (this.historyIsLong()) {
        // Every handler finished first: a sign-off in flight is judged by this run, or waits for the next.
        await condition(allHandlersFinished);
        if (state.status !== 'open') break;
        return await this.continueAsNew();
      }
    }
    return await this.end();
  }

  /** A new review: who reviews, who is told, then the review message. */
  private async begin(): Promise<void> {
    const { input } = this;
    upsertSearchAttributes([
      { key: SA.kind, value: 'review' },
      { key: SA.status, value: 'open' },
      { key: SA.breakGlass, value: 'review-open' },
      { key: SA.pipeline, value: input.approval.pipeline },
      { key: SA.stage, value: input.approval.stage },
    ]);
    this.showDetails();
    await this.resolveReviewers();
    await this.notify();
    await this.post();
    this.nextReminder = Date.now() + input.remindEveryMs;
    this.ready = true;
    this.showDetails();
  }

  /**
   * The reviewers, resolved from their groups at the start and again before
   * each reminder, so the review follows the groups' membership. A lookup
   * that fails keeps the last answer and is a problem beside the review.
   */
  private async resolveReviewers(): Promise<void> {
    const { input, state } = this;
    try {
      const resolved = await slackSaying(`Resolving reviewers: ${input.reviewerGroups.join(', ')}`).resolveApprovers({ integration: input.integration, groups: input.reviewerGroups });
      state.reviewers = resolved.approvers;
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.problem(`reviewers: not resolved: ${failureMessage(err)}`);
    }
  }

  /** Tells the approvers the break-glass skipped and the incident channels it overrode; one that cannot be told is a problem, not a failure. */
  private async notify(): Promise<void> {
    const { input, state } = this;
    const people = [...new Set(input.skippedApprovers ?? [])].filter((u) => u !== input.breakGlass.by && !state.notified.approvers.includes(u));
    const channels = [...new Map((input.incidentChannels ?? []).map((c) => [c.channel, c])).values()].filter((c) => !state.notified.incidentChannels.includes(c.channel));
    const dms = people.map(async (user) => {
      try {
        await slackSaying(`Telling ${user} of the break-glass`).postDirectMessage({ integration: input.integration, user, text: skippedApproverText(state), idempotencyKey: `dm-${user}` });
        return true;
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.problem(`direct message to ${user}: not sent: ${failureMessage(err)}`);
        return false;
      }
    });
    const posts = channels.map(async (c) => {
      try {
        await slackSaying(`Telling ${c.channel} of the break-glass`).postMessage({
          integration: c.integration ?? input.integration,
          channel: c.channel,
          text: incidentChannelText(state, c.label),
          idempotencyKey: `incident-${c.channel}`,
        });
        return true;
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.problem(`incident channel ${c.channel}: not told: ${failureMessage(err)}`);
        return false;
      }
    });
    const [told, posted] = await Promise.all([Promise.all(dms), Promise.all(posts)]);
    people.forEach((user, i) => told[i] && state.notified.approvers.push(user));
    channels.forEach((c, i) => posted[i] && state.notified.incidentChannels.push(c.channel));
  }

  /** The review message. A review channel Slack refuses fails the run: a review nobody can see is no review. */
  private async post(): Promise<void> {
    const { input, state } = this;
    state.message = await slackSaying(`Posting the break-glass review to ${input.channel}`).postMessage({
      integration: input.integration,
      channel: input.channel,
      text: reviewText(state),
      blocks: reviewBlocks(state),
      idempotencyKey: 'review',
      permalink: true,
      metadata: { pipeline: input.approval.pipeline, stage: input.approval.stage, execution: input.approval.execution },
    });
  }

  /** Until a sign-off or a reply owed; false when the next reminder is due. */
  private async waitForNews(): Promise<boolean> {
    const { state } = this;
    return await condition(() => this.outbox.length > 0 || state.status !== 'open', Math.max(1, this.nextReminder - Date.now()), {
      summary: `Waiting for a reviewer to sign off; reminder at ${clock(this.nextReminder)}`,
    });
  }

  /** Reminds the reviewers who may sign off, in the review's thread; each reminder has its own key. */
  private async remind(): Promise<void> {
    const { input, state } = this;
    state.reminders += 1;
    this.nextReminder = Date.now() + input.remindEveryMs;
    await this.resolveReviewers();
    const message = state.message!;
    try {
      await slackSaying(`Reminding the reviewers in ${input.channel}`).postMessage({
        integration: input.integration,
        channel: message.channel,
        threadTs: message.ts,
        text: reviewReminderText(state, whoMaySignOff(state)),
        idempotencyKey: `reminder-${state.reminders}`,
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.problem(`reminder ${state.reminders}: not posted: ${failureMessage(err)}`);
    }
    this.showDetails();
  }

  private historyIsLong(): boolean {
    const info = workflowInfo();
    return info.historyLength > (this.input.historyLimit ?? HISTORY_LIMIT) || info.continueAsNewSuggested;
  }

  private async continueAsNew(): Promise<never> {
    log.info('continuing as new', { historyLength: workflowInfo().historyLength });
    const carry: ReviewCarry = { state: this.state, nextReminder: this.nextReminder, outbox: this.outbox, messageVersion: this.messageVersion };
    return await continueAsNew<typeof breakGlassReview>(this.input, carry);
  }

  /** Signed off: the message says so and loses its button, the last replies go out, the search attributes say it. */
  private async end(): Promise<ReviewState> {
    const { input, state } = this;
    const message = state.message;
    if (message) {
      try {
        this.messageVersion += 1;
        await slackSaying(`Updating the review in ${input.channel}: signed off`).updateMessage({
          integration: input.integration,
          channel: message.channel,
          ts: message.ts,
          text: reviewText(state),
          blocks: reviewBlocks(state),
          version: this.messageVersion,
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        this.problem(`review message: not updated: ${failureMessage(err)}`);
      }
    }
    await this.flushReplies(true);
    upsertSearchAttributes([
      { key: SA.status, value: 'signed-off' },
      { key: SA.breakGlass, value: 'signed-off' },
      ...(state.signedOff ? [{ key: SA.decidedBy, value: [state.signedOff.user.id] }] : []),
    ]);
    this.showDetails();
    return state;
  }

  // ---- replies to the clickers ----

  private async flushReplies(final = false): Promise<void> {
    const outbox = this.outbox;
    const batch = final ? outbox.splice(-FINAL_REPLIES) : outbox.splice(0, REPLY_BATCH);
    if (final && outbox.length) {
      log.warn('replies left unsent at the end of a flooded review', { dropped: outbox.length });
      outbox.length = 0;
    }
    await Promise.all(batch.map((reply) => this.answer(reply)));
  }

  private async answer(reply: Reply): Promise<void> {
    try {
      if (reply.responseUrl) await replies.respondToClick({ responseUrl: reply.responseUrl, text: reply.text, ephemeral: true });
      else if (reply.channelId) await replies.postEphemeral({ integration: this.input.integration, channel: reply.channelId, user: reply.userId, text: reply.text });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not answer the clicker', { error: String(err) });
    }
  }

  // ---- helpers ----

  private problem(problem: string): void {
    log.warn('break-glass review problem', { problem });
    const problems = (this.state.problems ??= []);
    if (!problems.includes(problem)) problems.push(problem);
    if (problems.length > PROBLEMS_KEPT) problems.splice(0, problems.length - PROBLEMS_KEPT);
    this.showDetails();
  }

  /** The Temporal UI's "Current Details": the review as it stands now. */
  private showDetails(): void {
    setCurrentDetails(reviewDetails(this.state));
  }
}
