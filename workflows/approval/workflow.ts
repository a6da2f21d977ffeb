/**
 * One approval request, from the Slack card to the pipeline's answer.
 *
 * The workflow is the only judge of a decision: clicks, CLI and API calls
 * all go through judgeAttempt against the approval's own approver groups,
 * and every refusal is recorded and explained to the person who tried.
 */
import {
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
import type { ApprovalResult, ApprovalState, DecideOutcome, DecisionAttempt, OutcomeReport, RecordedApprovalInput } from '../../core/approval/types';

/** Configuration lookups with no Slack call: a local activity, no task-queue round trip. */
const config = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary: 'Finding the Slack integration' });

/** Slack calls with a summary, so the Temporal UI's timeline reads like the story of the request. */
const slackSaying = (summary: string) => proxyActivities<Activities>({ ...SLACK_OPTIONS, summary });

/** Replies to a clicker are best effort: a few tries, then give up (the record stays). */
/**
 * Telling an outcome target: retried with backoff for about a day (GitHub
 * holds a gated job for 30 days; a callback's receiver may be down a while),
 * then a problem beside the outcome.
 */
const OUTCOME_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '10 minutes', backoffCoefficient: 2, maximumAttempts: 150 },
} as const;

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

/** What a run keeps beside its state: the state itself, and the card's update count. */
interface ApprovalRun {
  state?: ApprovalState;
  /**
   * Rises with every card update and travels in the card's metadata, so an
   * older update is never written over a newer one (SECURITY.md, "A decided
   * outcome stands"). Runs begun before it replay without versions.
   */
  cardVersion: number;
}

/** The next card version, or none for runs that updated their cards before versions. */
function nextCardVersion(run: ApprovalRun): number | undefined {
  if (!patched('card-versions')) return undefined;
  run.cardVersion += 1;
  return run.cardVersion;
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
  const run: ApprovalRun = { cardVersion: carried?.cardVersion ?? 0 };
  try {
    return await runApproval(request, carried, run);
  } catch (err) {
    const state = run.state;
    // Continuing as new is no failure: the next run carries the card on.
    if (err instanceof ContinueAsNew || isCancellation(err) || !state?.message || !state.integration || !patched('card-says-failed')) throw err;
    const reason = failureMessage(err);
    try {
      await slackSaying('Marking the approval card failed').updateMessage({
        integration: state.integration,
        channel: state.message.channel,
        ts: state.message.ts,
        text: failedApprovalText(state, reason),
        blocks: failedApprovalBlocks(state, reason) as never,
        version: nextCardVersion(run),
      });
    } catch (updateErr) {
      log.warn('could not mark the approval card failed', { error: String(updateErr) });
    }
    throw err;
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

async function runApproval(request: RecordedApprovalInput, carried: ApprovalCarry | undefined, run: ApprovalRun): Promise<ApprovalResult> {
  // Runs begun before clicks were checked against the card, refusals bounded and
  // replies batched replay down the old path; every new run takes the new one.
  const trusted = carried !== undefined || patched('approval-trust');
  // Runs begun before the workflow checked its numbers replay without the checks.
  const bounded = carried !== undefined || patched('approval-bounds');
  const inputProblem = bounded ? approvalInputProblem(request) : undefined;
  const info = workflowInfo();
  const timeoutMs = inputProblem ? 0 : durationOf(request, 'timeout')!;
  const startedAt = carried?.startedAt ?? Date.now();
  const state: ApprovalState = carried?.state ?? {
    workflowId: info.workflowId,
    status: 'pending',
    request,
    approvers: {},
    approvals: 0,
    needed: Math.max(1, request.minApprovals ?? 1),
    decisions: [],
    refused: [],
    expiresAt: new Date(startedAt + timeoutMs).toISOString(),
    escalated: false,
  };
  run.state = state;
  const outbox: Reply[] = carried?.outbox ?? [];
  let dirty = false;
  let lastResponseUrl: string | undefined = carried?.lastResponseUrl;
  /** Which app's clicks this card takes: the integration that posted it, or the webhook's owner. */
  let cardIntegration: string | undefined = carried?.cardIntegration;

  /** The Temporal UI's "Current Details": the approval as it stands now. */
  const showDetails = () => setCurrentDetails(approvalDetails(state));
  const finish = (status: ApprovalState['status'], note?: string) => {
    state.status = status;
    state.finishedAt = new Date(Date.now()).toISOString();
    state.outcomeNote = note;
    dirty = true;
    showDetails();
  };

  /** Records a refusal; `answer` says whether this person's refusals are still answered (a flood is not). */
  const refuse = (attempt: Pick<DecisionAttempt, 'verb' | 'user' | 'via' | 'by'>, why: string): { outcome: DecideOutcome; answer: boolean } => {
    const at = new Date(Date.now()).toISOString();
    const refusal = { verb: attempt.verb, user: attempt.user, at, via: attempt.via, why, ...(attempt.by ? { by: attempt.by } : {}) };
    let count = 1;
    if (trusted) count = recordRefusal(state, refusal);
    else state.refused.push(refusal);
    log.info('decision refused', { user: attempt.user.id, why });
    showDetails();
    return { outcome: { accepted: false, message: `Not recorded: ${why}.`, status: state.status }, answer: !trusted || count <= REPLIES_PER_PERSON };
  };

  /** Judges and records one attempt; returns what to tell the person. */
  const decide = (attempt: DecisionAttempt): DecideOutcome => {
    const verdict = judgeAttempt(state, attempt);
    const at = new Date(Date.now()).toISOString();
    if (!verdict.ok) return refuse(attempt, verdict.why).outcome;
    state.decisions.push({ verb: attempt.verb, user: attempt.user, at, via: attempt.via, reason: attempt.reason, inputs: attempt.inputs, groups: verdict.groups, ...(attempt.by ? { by: attempt.by } : {}) });
    if (attempt.verb === 'reject') finish('rejected', `Rejected by ${esc(attempt.user.name ?? attempt.user.id)}${attempt.reason ? `: ${esc(attempt.reason)}` : ''}`);
    else {
      state.approvals = state.decisions.filter((d) => d.verb === 'approve').length;
      if (approvalsComplete(state, { distinctPeople: trusted })) finish('approved');
    }
    dirty = true;
    showDetails();
    const message =
      attempt.verb === 'reject'
        ? 'Your rejection is recorded: the request is rejected.'
        : state.status === 'approved'
          ? 'Your approval is recorded: the request is approved.'
          : `Your approval is recorded (${state.approvals} of ${state.needed}).`;
    return { accepted: true, message, status: state.status };
  };

  // Decisions wait until the approvers are resolved: judged earlier, every approver would be "not an approver".
  let ready = false;
  setHandler(approvalStateQuery, () => state);
  // A run that fails its start checks ends with this still waiting (the SDK warns of no unfinished handler on a failure): the caller reads the failure instead.
  setHandler(approvalPostedUpdate, async () => {
    await condition(() => ready);
    return state;
  });
  setHandler(approvalDecisionSignal, async (signal) => {
    await condition(() => ready);
    const verb = verbOf(signal.verb);
    const responseUrl = signal.responseUrl ?? str(signal.metadata?.responseUrl);
    const channelId = signal.channelId ?? str(signal.metadata?.channelId);
    if (!verb) {
      outbox.push({ text: `Not recorded: "${esc(String(signal.verb))}" is not a decision this approval knows.`, responseUrl, channelId, userId: signal.user.id });
      return;
    }
    const attempt = toAttempt(signal, verb);
    if (trusted) {
      // A click counts only if it belongs to this card: signed by its app, from its channel and message.
      const mismatch = clickMismatch({ integration: cardIntegration ?? '', channel: state.message?.channel, ts: state.message?.ts }, signal);
      if (mismatch) {
        const { outcome, answer } = refuse(attempt, mismatch);
        if (answer) outbox.push({ text: outcome.message, responseUrl: attempt.responseUrl, userId: attempt.user.id });
        return;
      }
    }
    if (attempt.responseUrl) lastResponseUrl = attempt.responseUrl;
    const outcome = decide(attempt);
    if (trusted && !outcome.accepted && refusalRepliesUsed(state, attempt.user.id)) return;
    outbox.push({ text: outcome.message, responseUrl: attempt.responseUrl, channelId: attempt.channelId, userId: attempt.user.id });
  });
  setHandler(
    decideUpdate,
    async (attempt) => {
      await condition(() => ready);
      return decide({ ...attempt, via: attempt.via === 'slack' ? 'api' : attempt.via });
    },
    {
    validator: (attempt) => {
      if (attempt.verb !== 'approve' && attempt.verb !== 'reject') throw new Error('verb must be approve or reject');
      if (!attempt.user?.id) throw new Error('a decision needs the deciding user');
    },
  });
  setHandler(cancelApprovalUpdate, async ({ by, reason, caller }) => {
    await condition(() => ready);
    // Refused as a late decision is, and as the approvals service refuses it once the run has ended.
    if (state.status !== 'pending') return { accepted: false, message: `Not recorded: ${alreadyFinal(state)}.`, status: state.status };
    if (caller) state.cancelledBy = caller;
    finish('cancelled', `Cancelled${by ? ` by ${USER_ID.test(by.id) ? userMention(by.id) : esc(by.name ?? by.id)}` : ''}${reason ? `: ${esc(reason)}` : ''}`);
    return { accepted: true, message: 'Cancelled.', status: state.status };
  });

  const dest = request.destination;
  const where = 'channel' in dest ? dest.channel : `incoming webhook "${dest.webhook}"`;
  // An input no edge lets through fails this run, saying why: never the worker, never a replay.
  if (inputProblem) throw ApplicationFailure.nonRetryable(inputProblem, 'ImpossibleApproval');
  const integration = carried ? state.integration : await begin();
  if (carried) {
    ready = true;
    showDetails();
  }

  /** Who may decide, as a search attribute: `/signalroom approvals` finds a person's pending runs by it, however many others are pending. */
  function listApprovers() {
    if (!patched('approvers-search-attribute')) return;
    const people = [...new Set(Object.values(state.approvers).flat())];
    // Too many to list within Temporal's size bound: left unset, and such runs are looked at for everyone.
    if (people.length > 0 && people.length <= MAX_LISTED_APPROVERS) upsertSearchAttributes([{ key: SA.approvers, value: people }]);
  }

  /** A new run: finds the integration and the approvers, then posts the card. */
  async function begin(): Promise<string | undefined> {
    upsertSearchAttributes([
      { key: SA.kind, value: 'approval' },
      { key: SA.status, value: 'pending' },
      { key: SA.pipeline, value: request.pipeline },
      { key: SA.stage, value: request.stage },
      ...(request.requestedBy ? [{ key: SA.requestedBy, value: request.requestedBy }] : []),
      ...(request.destination.project ? [{ key: SA.project, value: request.destination.project }] : []),
    ]);

    // Where the card goes and who may decide.
    showDetails();
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
    listApprovers();
    if (bounded && Object.values(state.approvers).some((m) => m.length > 0)) {
      // Minimums nobody can meet (started past the API's and CLI's checks) fail the run before a card asks for them.
      const shortfall = approvalShortfall(state, request.escalation?.approverGroups ?? []);
      if (shortfall) throw ApplicationFailure.nonRetryable(shortfall, 'ImpossibleApproval');
    }
    cardIntegration = integration ?? ('webhook' in dest && trusted ? await config.webhookOwner({ webhook: dest.webhook }) : undefined);
    showDetails();
    if (Object.values(state.approvers).every((m) => m.length === 0)) {
      finish('rejected', `No approvers could be resolved from ${esc(request.approverGroups.join(', '))}`);
    }
    await post(integration);
    ready = true;
    return integration;
  }

  async function post(integration: string | undefined) {
    const text = approvalText(state);
    const blocks = approvalBlocks(state);
    const slack = slackSaying(`Posting approval request to ${where}`);
    if ('channel' in dest) {
      state.message = await slack.postMessage({
        integration: integration!,
        channel: dest.channel,
        text,
        blocks: blocks as never,
        idempotencyKey: 'approval-card',
        permalink: true,
        metadata: { pipeline: request.pipeline, stage: request.stage, execution: request.execution },
      });
    } else {
      await slack.postToWebhook({ webhook: dest.webhook, text, blocks: blocks as never });
    }
    showDetails();
  }
  /**
   * Brings the card up to date. A card Slack will not update (an archived or
   * deleted channel, a deleted message, a revoked token) is a problem recorded
   * beside the outcome, never a failure of the run: once people decided, that
   * stands (SECURITY.md, "A decided outcome stands").
   */
  const refresh = async () => {
    try {
      await updateCard();
    } catch (err) {
      if (isCancellation(err) || !patched('card-failure-is-a-problem')) throw err;
      const problem = `card: not updated: ${slackReasonOf(err)}`;
      log.warn('the approval card could not be updated', { problem });
      const problems = (state.problems ??= []);
      if (!problems.includes(problem)) problems.push(problem);
      showDetails();
    }
  };
  const updateCard = async () => {
    dirty = false;
    const text = approvalText(state);
    const blocks = approvalBlocks(state);
    const status = state.status === 'pending' ? `${state.approvals} of ${plural(state.needed, 'approval')}` : state.status;
    const slack = slackSaying(`Updating the approval card in ${where}: ${status}`);
    if (state.message && integration) {
      // One update at a time: the workflow awaits each before the next, and the version keeps a late one from being written last.
      await slack.updateMessage({ integration, channel: state.message.channel, ts: state.message.ts, text, blocks: blocks as never, version: nextCardVersion(run) });
    } else if (lastResponseUrl) {
      // A webhook's message can only be changed through a click's response_url.
      // A response_url is good for a few uses within 30 minutes: a few tries, like the replies.
      await proxyActivities<Activities>({ ...REPLY_OPTIONS, summary: `Updating the approval card through the last click: ${status}` }).respondToClick({
        responseUrl: lastResponseUrl,
        text,
        blocks: blocks as never,
        replaceOriginal: true,
      });
    } else if ('webhook' in dest && state.status !== 'pending') {
      // Nobody clicked (a timeout, a decision from the CLI or API): the card cannot be edited, so say the outcome below it.
      await slack.postToWebhook({ webhook: dest.webhook, text });
    }
  };
  const answer = async (reply: Reply) => {
    try {
      if (reply.responseUrl) await replies.respondToClick({ responseUrl: reply.responseUrl, text: reply.text, ephemeral: true });
      else if (reply.channelId && integration) await replies.postEphemeral({ integration, channel: reply.channelId, user: reply.userId, text: reply.text });
    } catch (err) {
      log.warn('could not answer the clicker', { error: String(err) });
    }
  };
  /**
   * Answers the clickers, side by side: one batch per pass of the wait loop,
   * so the loop sees a decision soon. At the end (`final`), the most recent
   * replies (the decider's among them) go out in one round, and a flood's
   * backlog is dropped rather than holding up the outcome: it is recorded.
   */
  const flushReplies = async (final = false) => {
    if (!trusted) {
      while (outbox.length) await answer(outbox.shift()!);
      return;
    }
    const batch = final ? outbox.splice(-FINAL_REPLIES) : outbox.splice(0, REPLY_BATCH);
    if (final && outbox.length) {
      log.warn('replies left unsent at the end of a flooded approval', { dropped: outbox.length });
      outbox.length = 0;
    }
    await Promise.all(batch.map(answer));
  };

  const remindMs = durationOf(request, 'remindEvery');
  let nextReminder = carried?.nextReminder ?? (remindMs ? startedAt + remindMs : Infinity);
  const escalateAt = request.escalation ? startedAt + durationOf(request, 'escalation.after')! : Infinity;
  const deadline = startedAt + timeoutMs;
  let reminders = carried?.reminders ?? 0;

  while (state.status === 'pending') {
    if (trusted && workflowInfo().continueAsNewSuggested) {
      // A long history (a flood of clicks): hand everything to a fresh run once every handler has finished.
      await condition(allHandlersFinished);
      if (state.status !== 'pending') break;
      const carry: ApprovalCarry = { state, startedAt, nextReminder, reminders, outbox, lastResponseUrl, cardIntegration, cardVersion: run.cardVersion };
      return continueAsNew<typeof approval>(request, carry);
    }
    const nextEvent = Math.min(deadline, nextReminder, state.escalated ? Infinity : escalateAt);
    const next = nextEvent === deadline ? '' : nextEvent === nextReminder ? `; reminder at ${clock(nextEvent)}` : `; escalation at ${clock(nextEvent)}`;
    const woke = await condition(() => dirty || outbox.length > 0 || state.status !== 'pending', Math.max(1, nextEvent - Date.now()), {
      summary: `Waiting for ${plural(state.needed - state.approvals, 'more approval')} until ${clock(deadline)}${next}`,
    });
    if (dirty && state.status === 'pending') await refresh();
    await flushReplies();
    if (woke) continue;
    const now = Date.now();
    if (now >= deadline) {
      const outcome = effectivePolicy(state).approveOnTimeout ? 'approved on timeout' : 'rejected on timeout';
      finish('expired', `Nobody decided by ${state.expiresAt}: ${outcome}`);
    } else if (!state.escalated && now >= escalateAt && request.escalation) {
      state.escalated = true;
      const more = await slackSaying(`Escalating to ${request.escalation.approverGroups.join(', ')}`).resolveApprovers({
        integration,
        ...('webhook' in dest ? { webhook: dest.webhook } : {}),
        groups: request.escalation.approverGroups,
        requestedBy: request.requestedBy,
      });
      for (const [group, members] of Object.entries(more.approvers)) state.approvers[group] = members;
      listApprovers();
      // Widening the approvers never loosens the policy: a permission holds only if the new groups grant it too.
      if (state.policy && more.policy) {
        state.policy = { allowSelfApproval: state.policy.allowSelfApproval && more.policy.allowSelfApproval, allowApproveOnTimeout: state.policy.allowApproveOnTimeout && more.policy.allowApproveOnTimeout };
      }
      showDetails();
      const shortfall = bounded ? approvalShortfall(state) : undefined;
      if (shortfall) throw ApplicationFailure.nonRetryable(shortfall, 'ImpossibleApproval');
      const mentions = Object.values(more.approvers).flat().map(userMention).join(' ');
      await notify(`:rotating_light: Escalated: ${mentions || esc(request.escalation.approverGroups.join(', '))} — please review this approval.`, `escalation`);
      await refresh();
    } else if (now >= nextReminder) {
      reminders += 1;
      nextReminder = now + remindMs!;
      // Who may still decide is the policy module's answer for every run (a reminder's text is no command: older runs replay).
      const waiting = whoMayStillDecide(state);
      await notify(`:bell: Reminder: still waiting for ${state.needed - state.approvals} approval(s). ${waiting.map(userMention).join(' ')}`, `reminder-${reminders}`);
    }
  }

  async function notify(text: string, key: string) {
    const slack = slackSaying(key.startsWith('reminder') ? `Reminding the approvers in ${where}` : `Announcing the escalation in ${where}`);
    if (state.message && integration) {
      await slack.postMessage({ integration, channel: state.message.channel, threadTs: state.message.ts, text, idempotencyKey: key });
    } else if ('webhook' in dest) {
      await slack.postToWebhook({ webhook: dest.webhook, text });
    }
  }

  /** May what the approval gates go on: approved, or expired where configuration lets a timeout approve. */
  const effectiveStatus = () => (state.status === 'expired' ? (effectivePolicy(state).approveOnTimeout ? 'approved' : 'rejected') : state.status);
  const latestInputs = () => {
    const values: Record<string, string> = {};
    for (const d of state.decisions) Object.assign(values, d.inputs ?? {});
    return values;
  };

  /**
   * Tells each of the request's outcome targets (a callback URL, GitHub) what
   * was decided. A target whose side ended meanwhile (GitHub: the run was
   * cancelled) ends the approval so, card included; a target that cannot be
   * told is a problem beside the outcome.
   */
  async function tellTargets() {
    if (!request.notify?.length || !patched('outcome-targets')) return;
    for (const target of request.notify) {
      const report: OutcomeReport = { approvalId: state.workflowId, status: state.status, proceed: effectiveStatus() === 'approved', decisions: state.decisions, inputs: latestInputs(), outcomeNote: state.outcomeNote, permalink: state.message?.permalink };
      try {
        const delivery = await proxyActivities<Activities>({ ...OUTCOME_OPTIONS, summary: `Telling the ${target.kind} target: ${state.status}` }).deliverOutcome({ target, report });
        if (delivery.superseded && state.status !== 'cancelled') {
          finish(delivery.superseded.status, esc(delivery.superseded.note));
          await refresh();
        }
      } catch (err) {
        if (isCancellation(err)) throw err;
        const problem = `${target.kind}: not told: ${failureMessage(err)}`;
        log.warn('an outcome target could not be told', { problem });
        (state.problems ??= []).push(problem);
        showDetails();
      }
    }
  }

  await refresh();
  await flushReplies(true);
  await tellTargets();
  const finalStatus = effectiveStatus();
  upsertSearchAttributes([
    { key: SA.status, value: state.status },
    ...(state.decisions.length ? [{ key: SA.decidedBy, value: state.decisions.map((d) => d.user.id) }] : []),
  ]);
  log.info('approval finished', { status: state.status, effective: finalStatus });

  const inputs = latestInputs();
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
