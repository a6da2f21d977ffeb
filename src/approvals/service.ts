/**
 * What the pipeline API does with approvals — create, read, wait, decide,
 * cancel — on top of the same workflow, updates and rules as the CLI and the
 * Slack buttons.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { approvalPostedUpdate, approvalStateQuery, cancelApprovalUpdate, decideUpdate, holdOverrideUpdate } from '../../workflows/messages';
import type { ApprovalRequest, ApprovalResult, ApprovalState, DecidedBy, DecideOutcome, DecisionAttempt, HoldOverrideAttempt } from '../../core/approval/types';
import type { CallbackCheck } from './callback-check';
import { callbackUrlsOf } from '../../core/approval/callback';
import { normalizeApprovalRequest, startApproval, type ApprovalNames } from './client';
import { ApprovalInputError, ApprovalNotFound, ApprovalRefused } from './errors';
import { approvalStatusOf, requestRefusal, rootCause } from './outcome';
import { alreadyFinal } from '../../core/approval/policy';
import type { ApprovalView } from './view';
import type { RequesterCheck } from './requester-check';


export type { ApprovalView } from './view';

function viewOf(state: ApprovalState, result?: ApprovalResult, failure?: unknown): ApprovalView {
  const r = state.request;
  const { status, reason } = approvalStatusOf({ state, result, failure });
  const view: ApprovalView = {
    id: state.workflowId,
    status,
    ...(reason ? { reason } : {}),
    pipeline: r.pipeline,
    stage: r.stage,
    execution: r.execution,
    summary: r.summary,
    link: r.link,
    approvers: state.approvers,
    approvals: state.approvals,
    needed: state.needed,
    decisions: result?.decisions ?? state.decisions,
    refused: result?.refused ?? state.refused,
    expiresAt: state.expiresAt,
    escalated: state.escalated,
    finishedAt: result?.finishedAt ?? state.finishedAt,
    outcomeNote: result?.outcomeNote ?? state.outcomeNote,
    ...((result?.problems ?? state.problems)?.length ? { problems: result?.problems ?? state.problems } : {}),
    message: state.message,
    ...(state.holds?.length ? { heldBy: state.holds } : {}),
    ...(state.heldSince ? { heldSince: state.heldSince } : {}),
    ...(state.heldMs ? { heldMs: state.heldMs } : {}),
    ...((result?.expiredHeld ?? state.expiredHeld) ? { expiredHeld: true } : {}),
    ...(state.exceptions?.length ? { exceptions: state.exceptions } : {}),
    ...(state.breakGlass ? { breakGlass: state.breakGlass } : {}),
  };
  if (result) {
    view.proceed = result.proceed ?? result.status === 'approved';
    view.inputs = result.inputs;
  }
  return view;
}

const QUERY_DEADLINE_MS = 10_000;
/** How long a first verdict may take before the CLI says it is still waiting for a worker. */
const SLOW_VERDICT_MS = 15_000;

/** The worker's first answer to a request: posted (with the card's link), or failed for a reason other than the request. */
export type ApprovalVerdict = { posted: true; permalink?: string } | { failed: string };

export class ApprovalService {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly names: () => ApprovalNames = () => ({}),
    private readonly checkRequester?: RequesterCheck,
    private readonly checkCallback?: CallbackCheck,
  ) {}

  /**
   * Starts the approval, or joins the running one for the same pipeline,
   * stage and execution when it asks for the same thing (ApprovalConflict otherwise).
   */
  async create(request: ApprovalRequest): Promise<{ id: string; created: boolean }> {
    const normalized = normalizeApprovalRequest(request, this.names());
    if (this.checkRequester && normalized.requestedBy !== undefined) {
      const found = await this.checkRequester(normalized);
      if (!found.ok) throw new ApprovalInputError('requestedBy', `${found.why}: the requester must be exactly one Slack user`);
    }
    if (this.checkCallback) {
      for (const url of callbackUrlsOf(normalized.notify)) {
        const problem = await this.checkCallback(url);
        if (problem) throw new ApprovalInputError('callback', `callback: ${problem}`);
      }
    }
    const { workflowId, created } = await startApproval(this.temporal, normalized, this.taskQueue);
    return { id: workflowId, created };
  }

  /**
   * The worker's first verdict on a request: its start checks passed and the
   * card is posted, or the run ended before that. A refusal of the request
   * itself (an unknown approver group, a requester who is nobody in Slack)
   * throws ApprovalInputError, as the checks this side makes do; any other
   * failure is the verdict `failed`. Waits as long as no worker answers;
   * `onSlow` is called once when that takes a while.
   */
  async firstVerdict(id: string, onSlow?: () => void): Promise<ApprovalVerdict>;
  /** The same, given up after `withinMs` (the HTTP API holds a call that long): undefined when no verdict came. */
  async firstVerdict(id: string, onSlow: (() => void) | undefined, withinMs: number): Promise<ApprovalVerdict | undefined>;
  async firstVerdict(id: string, onSlow?: () => void, withinMs?: number): Promise<ApprovalVerdict | undefined> {
    const handle = this.temporal.workflow.getHandle(id);
    const abort = new AbortController();
    const slow = onSlow ? setTimeout(onSlow, SLOW_VERDICT_MS) : undefined;
    let giveUp: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      if (withinMs !== undefined) giveUp = setTimeout(() => resolve(undefined), withinMs);
    });
    const verdict = this.verdictOf(handle, abort);
    // Given up on, it may still settle as the abort lands: nobody waits for that.
    verdict.catch(() => undefined);
    try {
      return await Promise.race([verdict, timedOut]);
    } finally {
      clearTimeout(slow);
      clearTimeout(giveUp);
      abort.abort();
    }
  }

  /** What the run answered first: its card posted, or its end. */
  private async verdictOf(handle: WorkflowHandle, abort: AbortController): Promise<ApprovalVerdict> {
    const ended = this.temporal
      .withAbortSignal(abort.signal, () => handle.result())
      .then(() => ({ ended: true as const, failure: undefined }), (failure: unknown) => ({ ended: true as const, failure: failure ?? new Error('failed') }));
    const posted = this.temporal
      .withAbortSignal(abort.signal, () => handle.executeUpdate(approvalPostedUpdate))
      .then((state: ApprovalState) => ({ state }), (error: unknown) => ({ error }));
    let first = await Promise.race([ended, posted]);
    if ('error' in first) {
      // The run ended under the update (its checks failed), or its worker predates the update: read which.
      const described = await handle.describe();
      if (described.status.name === 'RUNNING') return { posted: true };
      first = await ended;
    }
    if ('state' in first) return { posted: true, permalink: first.state.message?.permalink };
    if (first.failure === undefined) return { posted: true };
    const refused = requestRefusal(first.failure);
    if (refused) throw new ApprovalInputError(refused.field, refused.message);
    return { failed: rootCause(first.failure) };
  }

  /** The approval's current state (running), or its final state and result. */
  async get(id: string): Promise<ApprovalView> {
    const { handle, running } = await this.find(id);
    if (running) return viewOf(await this.query(handle));
    return this.finalView(handle);
  }

  /** A finished run's view: its result, or its failure as status `failed` with the reason. */
  private async finalView(handle: WorkflowHandle, settled?: { result?: ApprovalResult; failure?: unknown }): Promise<ApprovalView> {
    const { result, failure } = settled ?? (await handle.result().then((r: ApprovalResult) => ({ result: r, failure: undefined }), (err: unknown) => ({ result: undefined, failure: err ?? new Error('failed') })));
    return viewOf(await this.query(handle), result, failure);
  }

  /**
   * Waits up to `ms` for the outcome: `done` with the final view, or the
   * current state when the bound passes first.
   */
  async wait(id: string, ms: number): Promise<{ done: boolean; approval: ApprovalView }> {
    const { handle, running } = await this.find(id);
    if (!running) return { done: true, approval: await this.get(id) };
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<'bound'>((resolve) => {
      timer = setTimeout(() => resolve('bound'), ms);
    });
    try {
      const settled = this.temporal
        .withAbortSignal(abort.signal, () => handle.result())
        .then((result: ApprovalResult) => ({ result, failure: undefined }), (failure: unknown) => ({ result: undefined, failure: failure ?? new Error('failed') }));
      const first = await Promise.race([settled, bound]);
      if (first === 'bound') return { done: false, approval: viewOf(await this.query(handle)) };
      return { done: true, approval: await this.finalView(handle, first) };
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  /** Decides as a user under the same rules as a click (`via` the API unless said); refused decisions throw ApprovalRefused. */
  async decide(id: string, attempt: Omit<DecisionAttempt, 'via'> & { via?: 'api' | 'cli' }): Promise<DecideOutcome> {
    const { handle, running } = await this.find(id);
    if (!running) throw new ApprovalRefused(await this.finishedOutcome(handle));
    const outcome = await this.update(() => handle.executeUpdate(decideUpdate, { args: [{ ...attempt, via: attempt.via ?? 'api' }] }), handle);
    if (!outcome.accepted) throw new ApprovalRefused(outcome);
    return outcome;
  }

  /** An exception to a hold, or a break-glass, under the same rules as the card's buttons; refused ones throw ApprovalRefused. */
  async override(id: string, attempt: Omit<HoldOverrideAttempt, 'via'> & { via?: 'api' | 'cli' }): Promise<DecideOutcome> {
    const { handle, running } = await this.find(id);
    if (!running) throw new ApprovalRefused(await this.finishedOutcome(handle));
    const outcome = await this.update(() => handle.executeUpdate(holdOverrideUpdate, { args: [{ ...attempt, via: attempt.via ?? 'api' }] }), handle);
    if (!outcome.accepted) throw new ApprovalRefused(outcome);
    return outcome;
  }

  async cancel(id: string, by?: string, reason?: string, caller?: DecidedBy): Promise<DecideOutcome> {
    const { handle, running } = await this.find(id);
    if (!running) throw new ApprovalRefused(await this.finishedOutcome(handle));
    const outcome = await this.update(() => handle.executeUpdate(cancelApprovalUpdate, { args: [{ by: by ? { id: by } : undefined, reason, ...(caller ? { caller } : {}) }] }), handle);
    if (!outcome.accepted) throw new ApprovalRefused(outcome);
    return outcome;
  }

  private async find(id: string): Promise<{ handle: WorkflowHandle; running: boolean }> {
    const handle = this.temporal.workflow.getHandle(id);
    try {
      const d = await handle.describe();
      if (d.type !== 'approval') throw new ApprovalNotFound(`No approval "${id}"`);
      return { handle, running: d.status.name === 'RUNNING' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ApprovalNotFound(`No approval "${id}"`);
      throw err;
    }
  }

  private query(handle: WorkflowHandle): Promise<ApprovalState> {
    return this.temporal.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(approvalStateQuery));
  }

  private async finishedOutcome(handle: WorkflowHandle): Promise<DecideOutcome> {
    const result = (await handle.result().catch(() => undefined)) as ApprovalResult | undefined;
    const status = result?.status ?? 'cancelled';
    return { accepted: false, status, message: `Not recorded: ${alreadyFinal({ status, outcomeNote: result?.outcomeNote })}.` };
  }

  /** An update that raced the workflow's end is answered like a decision on a finished approval. */
  private async update(run: () => Promise<DecideOutcome>, handle: WorkflowHandle): Promise<DecideOutcome> {
    try {
      return await run();
    } catch (err) {
      // Whatever the race surfaced as (not found, update failed, or the server's
      // "workflow execution already completed"): once the run has ended, the
      // answer is the finished approval's, the same as for a decision sent after it.
      const described = await handle.describe().catch(() => undefined);
      if (described && described.status.name !== 'RUNNING') return this.finishedOutcome(handle);
      throw err;
    }
  }
}
