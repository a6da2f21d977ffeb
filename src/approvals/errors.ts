/**
 * The errors of the approvals port, on their own: the CLI's HTTP adapter
 * throws and checks them too, and must not load Temporal's client to do so.
 */
import type { DecideOutcome } from '../../core/approval/types';
import { NotFoundError, SignalroomError, UnprocessableError } from '../errors';

/** A request field that cannot be used, named as the API and CLI name it (the API's answer says `body.<field>`). */
export class ApprovalInputError extends UnprocessableError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message, `body.${field}`);
  }
}

export class ApprovalNotFound extends NotFoundError {}

/** A decision or cancellation the approval refused (the message says why). */
export class ApprovalRefused extends SignalroomError {
  constructor(readonly outcome: DecideOutcome) {
    super(outcome.message, { code: 'refused', status: 409 });
  }
}
