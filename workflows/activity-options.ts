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

/**
 * A runbook step's Slack call run first as a local activity, in the worker
 * that runs the workflow, so consecutive steps complete in one workflow task
 * instead of one round trip each (docs/ARCHITECTURE.md, "The path of a
 * runbook step"). Short waits between attempts (a 5xx, a Retry-After of up to
 * 3 seconds) are made in the worker; a longer one is a workflow timer, so no
 * workflow task is held. It has 10 seconds in all: a call that needs longer
 * fails here and is made again as a regular activity with SLACK_OPTIONS,
 * which may wait as long as Slack asks.
 */
export const LOCAL_SLACK_OPTIONS = {
  startToCloseTimeout: '5 seconds',
  scheduleToCloseTimeout: '10 seconds',
  retry: SLACK_OPTIONS.retry,
  localRetryThreshold: '3 seconds',
} as const;

/**
 * The posts of consecutive runbook steps made by one local activity (up to
 * 10: core/runbook/steps/post-together.ts). A post that a retry may mend
 * stops it, and the rest are made one by one with LOCAL_SLACK_OPTIONS; so it
 * is not retried on a failure of its own, only given the time of its posts.
 */
export const LOCAL_POSTS_OPTIONS = {
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
} as const;
