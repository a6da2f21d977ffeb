/**
 * The one error type Signalroom throws on purpose: a stable machine-readable
 * `code` and the HTTP status it means. The server's central error handler
 * (src/server/errors.ts) answers every one of them the same way,
 * `{ error: code, message, ...details }`, wherever it was thrown; the CLI
 * and the slash command read the same `code` and message.
 */
export interface SignalroomErrorOptions {
  /** Stable, machine-readable: `not_found`, `conflict`, `refused`, `unprocessable_entity`… */
  code: string;
  /** The HTTP status it means. */
  status: number;
  /** Extra fields of the answer's body: `field` (the request field at fault, e.g. `body.timeout`), `fields`. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class SignalroomError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(message: string, options: SignalroomErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
    if (options.details) this.details = options.details;
  }
}

/** A 404: the thing named does not exist. */
export class NotFoundError extends SignalroomError {
  constructor(message: string) {
    super(message, { code: 'not_found', status: 404 });
  }
}

/** A 422: the request is well-formed but a value cannot be used; `field` names it as the API does. */
export class UnprocessableError extends SignalroomError {
  constructor(message: string, field?: string) {
    super(message, { code: 'unprocessable_entity', status: 422, details: field ? { field } : undefined });
  }
}

/** A 503: a service Signalroom needs (Temporal, the Signalroom API) did not answer; the message names it and where. */
export class Unreachable extends SignalroomError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'unreachable', status: 503, cause });
  }
}
