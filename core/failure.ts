/**
 * What went wrong, in one line: the innermost message of a failure. Temporal
 * wraps an activity's failure (ActivityFailure → ApplicationFailure → …), and
 * the innermost cause is the explanation (Slack's, the target's), not the wrapper.
 */
export function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object' && 'message' in e.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
