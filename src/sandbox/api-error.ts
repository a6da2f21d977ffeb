/**
 * How the sandbox says "Slack would answer this call with ok:false" (ApiError)
 * or with HTTP 429 (RateLimited). Its own module so that the stores the Web
 * API methods use (OAuth, views) can refuse without knowing about methods.
 */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code);
  }

  /** The `response_metadata.messages` Slack adds to some errors (a view or blocks that fail validation). */
  get messages(): string[] {
    return (this.extra.response_metadata as { messages?: string[] } | undefined)?.messages ?? [];
  }
}

/** Raised when the call must end in HTTP 429 (rate limits and injected faults). */
export class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('ratelimited');
  }
}
