import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '@temporalio/client';

/** /healthz says the process is up; /readyz that it can reach Temporal. */
export const healthRoutes: FastifyPluginAsync<{ temporal: Client }> = async (app, { temporal }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      // A bounded deadline: a readiness probe must answer even while Temporal is down.
      await temporal.connection.withDeadline(Date.now() + 2000, () => temporal.workflowService.getSystemInfo({}));
      return { status: 'ready', temporal: 'reachable' };
    } catch (err) {
      return reply.code(503).send({ status: 'not_ready', temporal: `unreachable: ${(err as Error).message}` });
    }
  });
};
