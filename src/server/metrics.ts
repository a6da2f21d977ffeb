/**
 * Prometheus metrics at /metrics: HTTP latency by route and status, and the
 * outcome of every Slack click. One registry per app, so several apps (tests)
 * never share counters.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What became of a Slack interaction. */
export type ClickOutcome =
  /** Signalled to its workflow while the request was being answered. */
  | 'delivered'
  /** Signalled after the acknowledgement, on a background retry. */
  | 'delivered_late'
  /** Could not be signalled in the delivery window; the clicker was told. */
  | 'undeliverable'
  /** Its workflow had already finished; the clicker was told. */
  | 'workflow_finished'
  /** Answered directly by its route, no workflow involved. */
  | 'replied'
  /** Its route opened a modal with the click's trigger_id (the submit is routed later). */
  | 'modal_opened'
  /** No route handles it; the clicker was told. */
  | 'unrouted'
  /** Missing, wrong or stale signature. */
  | 'rejected_signature'
  /** Not a well-formed interaction payload (or too large). */
  | 'malformed'
  /** One person clicked on one run faster than the rate limit allows; not delivered. */
  | 'throttled'
  /** A slash command refused: the caller may not do that. */
  | 'command_refused'
  /** A signed slash command received again (same signature): not run a second time. */
  | 'command_replayed';

export const CLICK_OUTCOMES: readonly ClickOutcome[] = ['delivered', 'delivered_late', 'undeliverable', 'workflow_finished', 'replied', 'modal_opened', 'unrouted', 'rejected_signature', 'malformed', 'throttled', 'command_refused', 'command_replayed'];

export interface ServerMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  clicks: Counter<'outcome'>;
  /** Counts one interaction by its outcome (`clicks`, through a child made once per outcome). */
  countClick(outcome: ClickOutcome): void;
}

export interface MetricsOptions {
  /** Registry to fill. @default a new one per app */
  registry?: Registry;
  /** Also collect the process metrics (CPU, memory, event loop). @default true */
  defaultMetrics?: boolean;
}

export function createServerMetrics(options: MetricsOptions = {}): ServerMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'signalroom_' });
  const httpDuration = new Histogram({
    name: 'signalroom_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const clicks = new Counter({
    name: 'signalroom_slack_clicks_total',
    help: 'Slack interactions (button clicks, modal submissions) by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // prom-client finds a series by hashing its labels on every call; a child is that series, found once.
  const byOutcome = new Map(CLICK_OUTCOMES.map((outcome) => [outcome, clicks.labels({ outcome })]));
  for (const child of byOutcome.values()) child.inc(0);
  return { registry, httpDuration, clicks, countClick: (outcome) => (byOutcome.get(outcome) ?? clicks.labels({ outcome })).inc() };
}

/** Series of the request histogram by method, route and status: bounded by the routes, methods and statuses Fastify answers with. */
const MAX_DURATION_SERIES = 1_000;

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServerMetrics;
  }
}

/** Decorates the root instance with `metrics`, times every request and serves /metrics. */
export const metricsPlugin = fp<{ metrics: ServerMetrics }>(
  async (app: FastifyInstance, { metrics }) => {
    app.decorate('metrics', metrics);
    const series = new Map<string, ReturnType<ServerMetrics['httpDuration']['labels']>>();
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, not the URL, so ids in paths do not explode the label set.
      const route = request.routeOptions.url ?? 'unmatched';
      const key = `${request.method} ${reply.statusCode} ${route}`;
      let child = series.get(key);
      if (!child) {
        child = metrics.httpDuration.labels({ method: request.method, route, status_code: String(reply.statusCode) });
        if (series.size < MAX_DURATION_SERIES) series.set(key, child);
      }
      child.observe(reply.elapsedTime / 1000);
      done();
    });
    app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'signalroom-metrics' },
);
