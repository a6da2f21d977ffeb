/**
 * /healthz says the process is up; /readyz that it can serve: Temporal
 * reachable and every other readiness check (configuration loaded) passing.
 * Both are public (load balancers probe them), so a failure's detail (an
 * address, a file path) goes to the log, not into the answer.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '@temporalio/client';

/** A readiness check: resolves with a short status (e.g. `loaded`), throws with the reason it is not ready. */
export type ReadinessCheck = () => string | Promise<string>;

export interface HealthOptions {
  temporal: Client;
  /** Checks besides Temporal, by name; each name becomes a field of /readyz. */
  checks?: Record<string, ReadinessCheck>;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { temporal, checks = {} }) => {
  app.get('/healthz', { logLevel: 'warn', schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { logLevel: 'warn', schema: { hide: true } }, async (req, reply) => {
    const results: Record<string, string> = {};
    let ready = true;
    try {
      // A bounded deadline: a readiness probe must answer even while Temporal is down.
      await temporal.connection.withDeadline(Date.now() + 2000, () => temporal.workflowService.getSystemInfo({}));
      results.temporal = 'reachable';
    } catch (err) {
      ready = false;
      results.temporal = 'unreachable';
      req.log.warn({ err: (err as Error).message }, 'readiness: Temporal unreachable');
    }
    for (const [name, check] of Object.entries(checks)) {
      try {
        results[name] = await check();
      } catch (err) {
        ready = false;
        results[name] = 'not ready';
        req.log.warn({ check: name, err: (err as Error).message }, 'readiness check failed');
      }
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', ...results });
  });
};
