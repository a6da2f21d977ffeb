/**
 * What the CLI and the HTTP API do with break-glass reviews — read one, sign
 * it off — on top of the review workflow (workflows/review/workflow.ts) and
 * the same rules as the review's Sign off button.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { reviewSignOffUpdate, reviewStateQuery } from '../../workflows/messages';
import { reviewAlreadyClosed, reviewWorkflowId, type ReviewState, type SignOffAttempt } from '../../core/holds/review';
import { rootCause } from '../approvals/outcome';
import { ReviewNotFound, SignOffRefused, type ReviewOutcome } from './errors';
import type { ReviewView } from './view';

export type { ReviewView } from './view';
export type { ReviewOutcome } from './errors';


const QUERY_DEADLINE_MS = 10_000;
/** The review workflow's type, as the worker registers it. */
const REVIEW_TYPE = 'breakGlassReview';

export function reviewViewOf(state: ReviewState, failure?: unknown): ReviewView {
  return {
    id: state.workflowId,
    approvalId: state.approvalId,
    status: failure === undefined ? state.status : 'failed',
    ...(failure === undefined ? {} : { reason: rootCause(failure) }),
    pipeline: state.approval.pipeline,
    stage: state.approval.stage,
    execution: state.approval.execution,
    ...(state.approval.summary ? { summary: state.approval.summary } : {}),
    breakGlass: { by: state.breakGlass.by, reason: state.breakGlass.reason, at: state.breakGlass.at, overrode: state.breakGlass.overrode, ...(state.breakGlass.caller ? { caller: state.breakGlass.caller } : {}) },
    reviewerGroups: state.reviewerGroups,
    reviewers: state.reviewers,
    reminders: state.reminders,
    openedAt: state.openedAt,
    ...(state.finishedAt ? { finishedAt: state.finishedAt } : {}),
    ...(state.signedOff ? { signedOff: state.signedOff } : {}),
    refused: state.refused,
    notified: state.notified,
    ...(state.problems?.length ? { problems: state.problems } : {}),
    ...(state.message ? { message: state.message } : {}),
  };
}

export class ReviewService {
  constructor(private readonly temporal: Client) {}

  /** The review of an approval: as it stands while open, its record once signed off. */
  async get(approvalId: string): Promise<ReviewView> {
    const { handle, running } = await this.find(approvalId);
    if (running) return reviewViewOf(await this.query(handle));
    const settled = await this.settled(handle);
    return reviewViewOf(settled.result ?? (await this.query(handle)), settled.failure);
  }

  /** Signs the review off as a user, under the same rules as the button; a refusal throws SignOffRefused. */
  async signOff(approvalId: string, attempt: Omit<SignOffAttempt, 'via'> & { via: 'api' | 'cli' }): Promise<ReviewOutcome> {
    const { handle, running } = await this.find(approvalId);
    if (!running) throw new SignOffRefused(await this.closedOutcome(handle));
    let outcome: ReviewOutcome;
    try {
      outcome = await handle.executeUpdate(reviewSignOffUpdate, { args: [attempt] });
    } catch (err) {
      // The review closed under the update (another reviewer signed off first): answered as a sign-off sent after it.
      const described = await handle.describe().catch(() => undefined);
      if (!described || described.status.name === 'RUNNING') throw err;
      outcome = await this.closedOutcome(handle);
    }
    if (!outcome.accepted) throw new SignOffRefused(outcome);
    return outcome;
  }

  private async find(approvalId: string): Promise<{ handle: WorkflowHandle; running: boolean }> {
    const id = reviewWorkflowId(approvalId);
    const handle = this.temporal.workflow.getHandle(id);
    try {
      const d = await handle.describe();
      if (d.type !== REVIEW_TYPE) throw new ReviewNotFound(`No break-glass review of "${approvalId}"`);
      return { handle, running: d.status.name === 'RUNNING' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ReviewNotFound(`No break-glass review of "${approvalId}"`);
      throw err;
    }
  }

  private query(handle: WorkflowHandle): Promise<ReviewState> {
    return this.temporal.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(reviewStateQuery));
  }

  private settled(handle: WorkflowHandle): Promise<{ result?: ReviewState; failure?: unknown }> {
    return handle.result().then(
      (result: ReviewState) => ({ result }),
      (failure: unknown) => ({ failure: failure ?? new Error('failed') }),
    );
  }

  private async closedOutcome(handle: WorkflowHandle): Promise<ReviewOutcome> {
    const { result, failure } = await this.settled(handle);
    if (result) return { accepted: false, status: result.status, message: `Not recorded: ${reviewAlreadyClosed(result)}.` };
    return { accepted: false, status: 'failed', message: `Not recorded: this review ended without a sign-off (${rootCause(failure)}).` };
  }
}
