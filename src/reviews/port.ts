/**
 * What the `signalroom review` commands need, whichever way they reach
 * Signalroom: straight against Temporal (reviewsOverTemporal, on the reviews
 * service) or through the HTTP API (src/cli/api-client.ts). Each command is
 * written once against this port.
 */
import type { DecidedBy } from '../../core/approval/types';
import { cliOperator } from '../approvals/port';
import { SignOffRefused, type ReviewOutcome } from './errors';
import type { ReviewService, ReviewView } from './service';

export type { ReviewOutcome, ReviewView };

/** A sign-off asked for from the CLI: `user` is whom it signs off as (through the API: the token's own user when absent). */
export interface SignOffRequest {
  user?: string;
  note?: string;
}

export interface ReviewsPort {
  /** The review of an approval (by the approval's id). */
  get(approvalId: string): Promise<ReviewView>;
  /** A refusal is an outcome (`accepted: false`), never an error. */
  signOff(approvalId: string, request: SignOffRequest): Promise<ReviewOutcome>;
}

/** Thrown when a sign-off straight against Temporal names nobody. */
export class SignOffUsageError extends Error {}

/** The port straight against Temporal; sign-offs record `operator`. */
export function reviewsOverTemporal(service: ReviewService, operator: DecidedBy = { operator: cliOperator() }): ReviewsPort {
  return {
    get: (approvalId) => service.get(approvalId),
    signOff: async (approvalId, { user, note }) => {
      if (!user) throw new SignOffUsageError('--as <user> is required when signing off directly against Temporal');
      try {
        return await service.signOff(approvalId, { user: { id: user }, note, via: 'cli', by: operator });
      } catch (err) {
        if (err instanceof SignOffRefused) return err.outcome;
        throw err;
      }
    },
  };
}
