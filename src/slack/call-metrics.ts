/**
 * Usage metrics of Slack: every Web API call a Slack client makes, counted by
 * integration, method and outcome, and the Retry-After Slack asks for when it
 * rate-limits. The counters live on a Temporal metric meter, so the worker
 * serves them on the same Prometheus endpoint as the SDK's own metrics.
 */
import type { MetricMeter } from '@temporalio/common';
import { loadSlackApiMetadata, type SlackApiMetadata } from '../sandbox/metadata';
import { slackCallOutcome } from './errors';

/** One Slack call, with labels from a known set (see boundedLabels). */
export interface SlackCall {
  integration: string;
  method: string;
  outcome: string;
  /** Seconds Slack asked to wait, on a rate-limited call. */
  retryAfterSeconds?: number;
}

/** Told of every Slack call a client makes. */
export type SlackCallObserver = (call: SlackCall) => void;

export const SLACK_CALLS_METRIC = 'signalroom_slack_calls_total';
export const SLACK_RETRY_AFTER_METRIC = 'signalroom_slack_retry_after_seconds';
/** Buckets of the Retry-After histogram, in seconds: Slack asks for a second up to about a minute. */
export const RETRY_AFTER_BUCKETS = [1, 2, 5, 10, 30, 60, 120];

/** Outcomes that are not a Slack error code. */
const OWN_OUTCOMES = new Set(['ok', 'rate_limited', 'http_error', 'unreachable', 'unexpected']);

/**
 * The labels of one call, bounded (a label set must not grow with what
 * Slack or a runbook sends): a method Slack's published metadata does not
 * list counts as `other`; an error code Slack does not list for that method
 * (nor among its common errors) counts as `other_error`.
 */
export function describeSlackCall(integration: string, method: string, err?: unknown, metadata: SlackApiMetadata = loadSlackApiMetadata()): SlackCall {
  const { outcome, retryAfterSeconds } = slackCallOutcome(err);
  const known = metadata.methods.has(method);
  const boundedOutcome = OWN_OUTCOMES.has(outcome) || (known && metadata.isListedError(method, outcome)) ? outcome : 'other_error';
  return { integration, method: known ? method : 'other', outcome: boundedOutcome, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
}

/** Counts Slack calls on a Temporal metric meter (the worker's Prometheus endpoint). */
export function slackCallMetrics(meter: MetricMeter): SlackCallObserver {
  const calls = meter.createCounter(SLACK_CALLS_METRIC, '', 'Slack Web API calls by integration, method and outcome (ok, a Slack error code, rate_limited, http_error, unreachable, unexpected)');
  const retryAfter = meter.createHistogram(SLACK_RETRY_AFTER_METRIC, 'int', '', 'Retry-After seconds Slack sent with rate-limited (429) calls, by integration and method');
  return (call) => {
    calls.add(1, { integration: call.integration, method: call.method, outcome: call.outcome });
    if (call.retryAfterSeconds !== undefined) retryAfter.record(call.retryAfterSeconds, { integration: call.integration, method: call.method });
  };
}
