/**
 * The errors of the reviews port, on their own: the CLI's HTTP adapter
 * throws and checks them too, and must not load Temporal's client to do so.
 */
import type { SignOffOutcome } from '../../core/holds/review';
import { NotFoundError, SignalroomError } from '../errors';

/** What a sign-off did, with the statuses a reader sees (`failed`: the run ended without one). */
export interface ReviewOutcome extends Omit<SignOffOutcome, 'status'> {
  status: SignOffOutcome['status'] | 'failed';
}

export class ReviewNotFound extends NotFoundError {}

/** A sign-off the review refused (the message says why). */
export class SignOffRefused extends SignalroomError {
  constructor(readonly outcome: ReviewOutcome) {
    super(outcome.message, { code: 'refused', status: 409 });
  }
}
