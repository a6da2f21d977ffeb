/**
 * How the workflows call Slack: each call may take 30 seconds, and a failed
 * one is retried with backoff up to a minute apart, without a limit (a 429
 * waits its `Retry-After`, see src/slack/errors.ts); a call that cannot
 * succeed fails at once, non-retryable.
 */
export const SLACK_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 2 },
} as const;
