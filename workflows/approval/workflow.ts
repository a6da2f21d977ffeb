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
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  log,
  ParentClosePolicy,
  startChild,
} from '@temporalio/workflow';
import { breakGlassReview } from '../review/workflow';
import { reviewWorkflowId } from '../../core/holds/review';
import type { Activities } from '../../activities';
import { approvalBlocks, approvalText } from '../../core/slack/blocks/approval-card';
import { escapeMrkdwn as esc, userMention, USER_ID } from '../../core/slack/mrkdwn';
import { failedApprovalBlocks, failedApprovalText } from '../../core/slack/blocks/approval-failed';
import { MAX_LISTED_APPROVERS, SA } from '../search-attributes';
import { SLACK_OPTIONS } from '../activity-options';
import { failureMessage } from '../../core/failure';
import { approvalDetails } from '../../core/details';
import { approvalDecisionSignal, approvalPostedUpdate, approvalStateQuery, cancelApprovalUpdate, decideUpdate, holdOverrideUpdate, holdsChangedSignal, incidentHoldNoteSignal } from '../messages';
import { clickMismatch, type SlackClickSignal } from '../../core/click';
import { alreadyFinal, approvalInputProblem, approvalsComplete, approvalShortfall, effectivePolicy, judgeAttempt, policyViolations, recordRefusal, refusalRepliesUsed, REPLIES_PER_PERSON, whoMayStillDecide } from '../../core/approval/policy';
import { approvalDuration, type ApprovalDurationField } from '../../core/approval/durations';
import type { ApprovalResult, ApprovalState, DecidedBy, DecideOutcome, DecisionAttempt, HoldOverrideAttempt, Identity, OutcomeReport, RecordedApprovalInput } from '../../core/approval/types';
import type { DeployPolicyView } from '../../activities/holds';
import type { Hold, IncidentHoldNote } from '../../core/holds/types';
import { holdLine } from '../../core/holds/match';
import { effectiveHolds, EXCEPTION_REQUESTS_KEPT, grantableHolds, heldRefusal, isHeld, overrideReason } from '../../core/holds/policy';

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

/** How long an approval waits for the hold board's first answer before posting its card anyway. */
const HOLDS_ANSWER_MS = 30_000;

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
  /** Configuration `deploys` as the run began, when holds were on for it. */
  deploy?: DeployPolicyView;
  /** Its card updates run as local activities. */
  cardLocal?: boolean;
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
  setHandler(holdsChangedSignal, (holds) => run.receiveHolds(holds));
  setHandler(holdOverrideUpdate, (attempt) => run.receiveOverride({ ...attempt, via: attempt.via === 'slack' ? 'api' : attempt.via }), { validator: validateOverride });
  return await run.execute();
}

function validateOverride(attempt: HoldOverrideAttempt): void {
  if (attempt.kind !== 'exception' && attempt.kind !== 'break-glass') throw new Error('kind must be exception or break-glass');
  if (!attempt.user?.id) throw new Error('an exception or a break-glass needs the user making it');
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
  /** Card updates run as local activities (versioned, so safe to repeat). */
  private readonly cardLocal: boolean;
  /** Holds are on for this run: it asks the hold board before its card (README, "Deploys and incidents"). */
  private readonly holdsOn: boolean;
  private readonly inputProblem: string | undefined;
  private readonly dest: RecordedApprovalInput['destination'];
  /** Where the card is, for the Temporal UI's summaries. */
  private readonly where: string;
  private readonly startedAt: number;
  private readonly timeoutMs: number;
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
  /**
   * Configuration `deploys` as the run began: holds are on for runs begun
   * since they exist (README, "Deploys and incidents"); older runs replay without.
   */
  private deploy: DeployPolicyView | undefined;
  /** The hold board has answered what holds it. */
  private holdsKnown = false;
  /** The holds a break-glass overrode: its review tells their incidents. */
  private overridden: Hold[] = [];
  /** What the incidents that hold (or held) it are still to be told. */
  private readonly incidentNotes: Array<{ incident: string; note: IncidentHoldNote }> = [];

  constructor(
    private readonly request: RecordedApprovalInput,
    private readonly carried: ApprovalCarry | undefined,
  ) {
    this.trusted = carried !== undefined || patched('approval-trust');
    this.bounded = carried !== undefined || patched('approval-bounds');
    // Decided as the run starts, before any activity: a patched() call just after a local activity's result may not
    // replay where it ran (see LOCAL_STEPS in workflows/incident/workflow.ts). A continued run carries the answers.
    this.cardLocal = carried ? Boolean(carried.cardLocal) : patched('card-update-local');
    this.holdsOn = carried ? Boolean(carried.deploy) : patched('deploy-holds');
    this.inputProblem = this.bounded ? approvalInputProblem(request) : undefined;
    const timeoutMs = this.inputProblem ? 0 : durationOf(request, 'timeout')!;
    this.timeoutMs = timeoutMs;
    this.startedAt = carried?.startedAt ?? Date.now();
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
    this.deploy = carried?.deploy;
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
    const responseUrl = signal.responseUrl ?? str(signal.metadata?.responseUrl);
    const channelId = signal.channelId ?? str(signal.metadata?.channelId);
    if ((signal.verb === 'exception' || signal.verb === 'break-glass') && this.deploy) {
      await this.receiveOverrideClick(signal, signal.verb, responseUrl, channelId);
      return;
    }
    const verb = verbOf(signal.verb);
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

  // ---- holds: what holds it, exceptions, break-glass ----

  /** The hold board tells what holds it now. */
  receiveHolds(holds: Hold[]): void {
    // The first answer comes before the card is posted (askHolds waits for it).
    if (!this.deploy || this.state.status !== 'pending') return;
    this.holdsKnown = true;
    this.setHolds(holds);
  }

  /** An exception or a break-glass from the card's modal: checked against the card like any click. */
  private async receiveOverrideClick(signal: SlackClickSignal, kind: 'exception' | 'break-glass', responseUrl: string | undefined, channelId: string | undefined): Promise<void> {
    const attempt: HoldOverrideAttempt = { kind, user: { id: signal.user.id, name: signal.user.name }, reason: str(signal.values?.reason), via: 'slack', responseUrl, channelId };
    const mismatch = clickMismatch({ integration: this.cardIntegration ?? '', channel: this.state.message?.channel, ts: this.state.message?.ts }, signal);
    if (mismatch) {
      const { outcome, answer } = this.refuse(attempt, mismatch);
      if (answer) this.outbox.push({ text: outcome.message, responseUrl, userId: attempt.user.id });
      return;
    }
    if (responseUrl) this.lastResponseUrl = responseUrl;
    const outcome = await this.receiveOverride(attempt);
    if (!outcome.accepted && refusalRepliesUsed(this.state, attempt.user.id)) return;
    this.outbox.push({ text: outcome.message, responseUrl, channelId, userId: attempt.user.id });
  }

  /** An exception to a hold, or a break-glass: judged by core/holds/policy.ts. */
  async receiveOverride(attempt: HoldOverrideAttempt): Promise<DecideOutcome> {
    await condition(() => this.ready);
    const state = this.state;
    if (!this.deploy) return this.refuse(attempt, 'this approval began before holds existed').outcome;
    if (state.status !== 'pending') return { accepted: false, message: `Not recorded: ${alreadyFinal(state)}.`, status: state.status };
    if (!isHeld(state)) return this.refuse(attempt, 'nothing holds this approval: its approvers decide it').outcome;
    const reason = overrideReason(attempt.reason);
    if (!reason.ok) return this.refuse(attempt, reason.why).outcome;
    return attempt.kind === 'exception' ? await this.grantException(attempt, reason.reason) : await this.breakGlass(attempt, reason.reason);
  }

  private async grantException(attempt: HoldOverrideAttempt, reason: string): Promise<DecideOutcome> {
    const state = this.state;
    const holds = effectiveHolds(state);
    const members = await this.membersOf(this.deploy!.exceptionGroups, 'exception groups');
    // The run may have ended while the groups were resolved.
    if (state.status !== 'pending' || !isHeld(state)) return { accepted: false, message: `Not recorded: ${state.status === 'pending' ? 'nothing holds this approval any more' : alreadyFinal(state)}.`, status: state.status };
    const grant = grantableHolds(effectiveHolds(state), attempt.user.id, members);
    const at = new Date(Date.now()).toISOString();
    const user = attempt.user.id;
    if (!grant.length) return this.requestException(attempt, reason, holds, at);
    const wasHeld = true;
    const before = state.holds ?? [];
    for (const hold of grant) {
      (state.exceptions ??= []).push({ hold: hold.id, by: user, reason, at, as: members.includes(user) ? 'exception group' : 'commander', ...(attempt.by ? { caller: attempt.by } : {}) });
      this.noteIncident(hold, 'excepted', `Exception granted by ${userMention(user)} for ${this.what()}: “${esc(reason)}”`, user);
    }
    this.afterHolds(wasHeld, before);
    const still = effectiveHolds(state);
    const message = still.length ? `Exception granted for ${grant.map((h) => esc(h.label)).join(', ')}; still ${still.map(holdLine).join('; ')}.` : 'Exception granted: the approvers may now decide.';
    return { accepted: true, message, status: state.status };
  }

  /** Someone who may not grant an exception asks for one: the incident's channel is told once per person, and the commander named. */
  private requestException(attempt: HoldOverrideAttempt, reason: string, holds: Hold[], at: string): DecideOutcome {
    const state = this.state;
    const user = attempt.user.id;
    const requests = (state.exceptionRequests ??= []);
    const first = !requests.some((r) => r.by === user);
    if (first && requests.length < EXCEPTION_REQUESTS_KEPT) {
      requests.push({ by: user, reason, at });
      for (const hold of holds) {
        const who = hold.commander ? `${userMention(hold.commander)}, you` : 'The commander';
        this.noteIncident(hold, 'exception-requested', `:raising_hand: ${userMention(user)} asks for an exception for ${this.what()}: “${esc(reason)}”. ${who} may grant it with *Request an exception* on the card${state.message?.permalink ? `: ${state.message.permalink}` : ''}.`, user);
      }
      this.showDetails();
    }
    this.refuse(attempt, `only the commander of ${holds.map((h) => esc(h.label)).join(', ')}${this.deploy!.exceptionGroups.length ? ` or a member of ${this.deploy!.exceptionGroups.join(', ')}` : ''} may grant an exception`);
    const commanders = holds.filter((h) => h.commander).map((h) => userMention(h.commander!));
    return {
      accepted: false,
      message: first ? `Your request for an exception was sent to ${commanders.length ? commanders.join(', ') : 'the incident'}: only the commander${this.deploy!.exceptionGroups.length ? ' or an exception group' : ''} may grant it.` : 'Not recorded again: your request for an exception was already sent.',
      status: state.status,
    };
  }

  private async breakGlass(attempt: HoldOverrideAttempt, reason: string): Promise<DecideOutcome> {
    const state = this.state;
    const config = this.deploy!.breakGlass;
    if (!config) return this.refuse(attempt, 'break-glass is not configured (deploys.breakGlass)').outcome;
    const members = await this.membersOf(config.groups, 'break-glass groups');
    if (state.status !== 'pending' || !isHeld(state)) return { accepted: false, message: `Not recorded: ${state.status === 'pending' ? 'nothing holds this approval any more' : alreadyFinal(state)}.`, status: state.status };
    if (!members.includes(attempt.user.id)) return this.refuse(attempt, `only members of ${config.groups.join(', ')} may break the glass`).outcome;
    const holds = effectiveHolds(state);
    const at = new Date(Date.now()).toISOString();
    const before = state.holds ?? [];
    state.breakGlass = { by: attempt.user.id, reason, at, overrode: holds.map((h) => h.label), review: reviewWorkflowId(state.workflowId), ...(attempt.by ? { caller: attempt.by } : {}) };
    this.overridden = holds;
    for (const hold of holds) this.noteIncident(hold, 'break-glass', `:rotating_light: Break-glass by ${userMention(attempt.user.id)} for ${this.what()}: “${esc(reason)}”`, attempt.user.id);
    this.afterHolds(true, before);
    upsertSearchAttributes([{ key: SA.breakGlass, value: 'overridden' }]);
    this.finish('approved', `:rotating_light: Break-glass by ${userMention(attempt.user.id)}: “${esc(reason)}” (overrode ${holds.map((h) => esc(h.label)).join(', ')}; a review follows)`);
    return { accepted: true, message: 'The glass is broken: the deploy may go on. The skipped approvers and the incident are told, and a review is opened.', status: state.status };
  }

  /** The Slack user ids of configured approver groups (exception or break-glass groups), resolved now. */
  private async membersOf(groups: string[], what: string): Promise<string[]> {
    if (!groups.length) return [];
    try {
      const { dest, state } = this;
      const resolved = await slackSaying(`Resolving the ${what}: ${groups.join(', ')}`).resolveApprovers({ integration: state.integration, ...('webhook' in dest ? { webhook: dest.webhook } : {}), groups });
      return [...new Set(Object.values(resolved.approvers).flat())];
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not resolve groups', { what, error: failureMessage(err) });
      return [];
    }
  }

  /** Applies what the board said holds it. */
  private setHolds(holds: Hold[]): void {
    const wasHeld = isHeld(this.state);
    const before = this.state.holds ?? [];
    this.state.holds = holds;
    for (const hold of holds) if (!before.some((h) => h.id === hold.id)) this.noteIncident(hold, 'held', `${this.what()} is held: ${esc(holdLine(hold))}`);
    for (const hold of before) if (!holds.some((h) => h.id === hold.id)) this.noteIncident(hold, 'lifted', `${this.what()} is no longer held by ${esc(hold.label)}`);
    this.afterHolds(wasHeld, before);
  }

  /** After the holds or exceptions changed: the time held, the deadline, the search attribute, the card. */
  private afterHolds(wasHeld: boolean, _before: Hold[]): void {
    const state = this.state;
    const nowHeld = isHeld(state);
    const now = Date.now();
    if (!wasHeld && nowHeld) state.heldSince = new Date(now).toISOString();
    if (wasHeld && !nowHeld && state.heldSince) {
      state.heldMs = (state.heldMs ?? 0) + Math.max(0, now - Date.parse(state.heldSince));
      delete state.heldSince;
      if (this.pausesWhileHeld()) state.expiresAt = new Date(this.deadline()).toISOString();
    }
    upsertSearchAttributes([{ key: SA.heldBy, value: nowHeld ? effectiveHolds(state).map((h) => h.id) : [] }]);
    this.dirty = true;
    this.showDetails();
  }

  /** Does the timeout stop while held (configuration `deploys.whileHeld: pause`)? */
  private pausesWhileHeld(): boolean {
    return this.deploy?.whileHeld === 'pause';
  }

  /** When it expires: its timeout after the start, plus the time held where the timeout pauses. */
  private deadline(): number {
    return this.startedAt + this.timeoutMs + (this.pausesWhileHeld() ? (this.state.heldMs ?? 0) : 0);
  }

  /** "api › production (1234)": how an incident's timeline names an approval. */
  private what(): string {
    const r = this.request;
    return `${esc(r.pipeline)} › ${esc(r.stage)} (${esc(r.execution)})`;
  }

  /** An incident that holds it is told, for its timeline and postmortem (sent by the main loop). */
  private noteIncident(hold: Pick<Hold, 'id' | 'source'>, event: IncidentHoldNote['event'], text: string, by?: string): void {
    if (hold.source !== 'incident') return;
    this.incidentNotes.push({ incident: hold.id, note: { approvalId: this.state.workflowId, event, text, ...(by ? { by } : {}), at: new Date(Date.now()).toISOString() } });
  }

  /** Sends the incidents their notes; an incident that is gone is skipped. */
  private async flushIncidentNotes(): Promise<void> {
    const notes = this.incidentNotes.splice(0);
    await Promise.all(
      notes.map(async ({ incident, note }) => {
        try {
          await getExternalWorkflowHandle(incident).signal(incidentHoldNoteSignal, note);
        } catch (err) {
          log.info('an incident that held this approval could not be told', { incident, error: String(err) });
        }
      }),
    );
  }

  // ---- judging ----

  /** Judges and records one attempt; returns what to tell the person. */
  private decide(attempt: DecisionAttempt): DecideOutcome {
    const state = this.state;
    const verdict = judgeAttempt(state, attempt);
    const at = new Date(Date.now()).toISOString();
    if (!verdict.ok) return this.refuse(attempt, verdict.why).outcome;
    // Held by an incident or a freeze: rejecting stays possible, approving waits for the hold (core/holds/policy.ts).
    if (this.deploy && attempt.verb === 'approve' && isHeld(state)) return this.refuse(attempt, heldRefusal(state)).outcome;
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
  private refuse(attempt: Pick<DecisionAttempt, 'verb' | 'user' | 'via' | 'by'> | Pick<HoldOverrideAttempt, 'kind' | 'user' | 'via' | 'by'>, why: string): { outcome: DecideOutcome; answer: boolean } {
    const at = new Date(Date.now()).toISOString();
    const verb = 'kind' in attempt ? attempt.kind : attempt.verb;
    const refusal = { verb, user: attempt.user, at, via: attempt.via, why, ...(attempt.by ? { by: attempt.by } : {}) };
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
      if (this.incidentNotes.length) await this.flushIncidentNotes();
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
    } else if (this.holdsOn) {
      await this.askHolds();
    }
    await this.post();
    this.ready = true;
  }

  /**
   * What holds this deploy now, from the hold board, which tells the run of
   * every change after (README, "Deploys and incidents"). Asked before the
   * card is posted, so a held request is held from its first card.
   */
  private async askHolds(): Promise<void> {
    const { request, state } = this;
    this.deploy = await proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 }, summary: 'Reading the deploy policy' }).deployPolicy();
    if (this.deploy.breakGlass) state.breakGlassOpen = true;
    upsertSearchAttributes([{ key: SA.service, value: request.service ?? request.pipeline }]);
    await slackSaying('Asking the hold board what holds this deploy').subscribeHolds({ approvalId: state.workflowId, stage: request.stage, service: request.service ?? request.pipeline });
    // The board answers within moments; should it not, the card goes up unheld and is held when the answer comes.
    if (!(await condition(() => this.holdsKnown, HOLDS_ANSWER_MS))) log.warn('the hold board has not answered yet: posting the card, to be held when it does');
    this.dirty = false;
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
    const { nextReminder, state } = this;
    const deadline = this.deadline();
    // Held with a paused timeout: no expiry until the hold lifts (the deadline then moves by the time held).
    const paused = this.pausesWhileHeld() && isHeld(state);
    const nextEvent = Math.min(paused ? Infinity : deadline, nextReminder, state.escalated ? Infinity : this.escalateAt);
    const next = nextEvent === deadline || nextEvent === Infinity ? '' : nextEvent === nextReminder ? `; reminder at ${clock(nextEvent)}` : `; escalation at ${clock(nextEvent)}`;
    const summary = isHeld(state)
      ? `Held: ${effectiveHolds(state).map(holdLine).join('; ')}${paused ? ' (the timeout is paused)' : ` until ${clock(deadline)}`}`
      : `Waiting for ${plural(state.needed - state.approvals, 'more approval')} until ${clock(deadline)}${next}`;
    const wake = () => this.dirty || this.outbox.length > 0 || this.incidentNotes.length > 0 || state.status !== 'pending';
    if (nextEvent === Infinity) {
      await condition(wake);
      return true;
    }
    return await condition(wake, Math.max(1, nextEvent - Date.now()), { summary });
  }

  private async timerDue(): Promise<void> {
    const now = Date.now();
    if (now >= this.deadline() && !(this.pausesWhileHeld() && isHeld(this.state))) this.expire();
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
      ...(this.deploy ? { deploy: this.deploy } : {}),
      ...(this.cardLocal ? { cardLocal: true } : {}),
    };
    await this.flushIncidentNotes();
    return await continueAsNew<typeof approval>(this.request, carry);
  }

  /** Decided, expired or cancelled: the card, the last replies, the outcome targets, then the answer. */
  private async end(): Promise<ApprovalResult> {
    const state = this.state;
    await this.refresh();
    await this.flushReplies(true);
    if (this.deploy) await this.endHolds();
    if (state.breakGlass) await this.openReview();
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
      ...(state.holds?.length ? { holds: state.holds } : {}),
      ...(state.exceptions?.length ? { exceptions: state.exceptions } : {}),
      ...(state.breakGlass ? { breakGlass: state.breakGlass } : {}),
      ...(state.expiredHeld ? { expiredHeld: true } : {}),
    };
  }

  /**
   * A break-glass opens its review (workflows/review/workflow.ts): a child
   * that outlives the approval, which tells the skipped approvers and the
   * incidents, and reminds the reviewers until one signs it off.
   */
  private async openReview(): Promise<void> {
    const { state, request } = this;
    const config = this.deploy?.breakGlass;
    const glass = state.breakGlass!;
    const channel = config?.reviewChannel ?? state.message?.channel ?? ('channel' in this.dest ? this.dest.channel : undefined);
    try {
      if (!config || !channel) throw new Error('no channel to post the review in: set deploys.breakGlass.reviewChannel');
      const approved = new Set(state.decisions.filter((d) => d.verb === 'approve').map((d) => d.user.id));
      const skipped = [...new Set(Object.values(state.approvers).flat())].filter((u) => !approved.has(u) && u !== glass.by);
      await startChild(breakGlassReview, {
        workflowId: reviewWorkflowId(state.workflowId),
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [
          {
            approvalId: state.workflowId,
            approval: { pipeline: request.pipeline, stage: request.stage, execution: request.execution, ...(request.summary ? { summary: request.summary } : {}), ...(state.message?.permalink ? { permalink: state.message.permalink } : {}) },
            breakGlass: glass,
            reviewerGroups: config.reviewers,
            channel,
            integration: state.integration ?? 'organization',
            remindEveryMs: config.remindEveryMs,
            skippedApprovers: skipped,
            incidentChannels: this.overridden.filter((h) => h.channel).map((h) => ({ channel: h.channel!, label: h.label, ...(h.integration ? { integration: h.integration } : {}) })),
          },
        ],
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      const problem = `review: not opened: ${failureMessage(err)}`;
      log.warn('the break-glass review could not be opened', { problem });
      (state.problems ??= []).push(problem);
      this.showDetails();
    }
  }

  /** The board stops telling it; the incidents that held it hear the outcome. */
  private async endHolds(): Promise<void> {
    const state = this.state;
    if (!state.breakGlass) for (const hold of state.holds ?? []) this.noteIncident(hold, 'decided', `${this.what()}: ${state.status}${state.outcomeNote ? ` — ${state.outcomeNote}` : ''}`);
    await this.flushIncidentNotes();
    upsertSearchAttributes([{ key: SA.heldBy, value: [] }]);
    try {
      await slackSaying('Leaving the hold board').unsubscribeHolds({ approvalId: state.workflowId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('could not leave the hold board', { error: failureMessage(err) });
    }
  }

  // ---- timers: the deadline, the escalation, reminders ----

  private expire(): void {
    if (this.deploy && isHeld(this.state)) {
      // Expired while held (`deploys.whileHeld: run`): never approved by the timeout, whatever onTimeout asks.
      const holds = effectiveHolds(this.state).map(holdLine).join('; ');
      this.state.expiredHeld = true;
      this.finish('expired', `Expired at ${this.state.expiresAt} while held (${esc(holds)}): rejected`);
      return;
    }
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
      if (update.version !== undefined && this.cardLocal) await updateCardMessage(summary, update);
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
    return state.status === 'expired' ? (effectivePolicy(state).approveOnTimeout && !state.expiredHeld ? 'approved' : 'rejected') : state.status;
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
