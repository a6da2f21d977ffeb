/**
 * The freeze commands' errors, on their own: the CLI's HTTP adapter prints
 * them too, and must not load Temporal's client to do so.
 */
import { NotFoundError, SignalroomError } from '../errors';
import type { FreezeProblem } from '../../core/holds/freeze';

/** A freeze request that cannot be used: 422, naming the request's field (`cron`, `reason`…); the CLI exits 64. */
export class FreezeInvalid extends SignalroomError {
  /** The field as the request names it (`cron`), beside `details.field` as the API names it (`body.cron`). */
  readonly field: string;
  constructor(readonly problems: FreezeProblem[]) {
    const first = problems[0]!;
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '), { code: 'unprocessable_entity', status: 422, details: { field: `body.${first.field}` } });
    this.field = first.field;
  }
}

export class FreezeNotFound extends NotFoundError {}

/** A freeze of that name is on with another request, or has already ended, or too many are on: 409. */
export class FreezeConflict extends SignalroomError {
  constructor(message: string, fields?: string[]) {
    super(message, { code: 'conflict', status: 409, details: fields ? { fields } : undefined });
  }
}
