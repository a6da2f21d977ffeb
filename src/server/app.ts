/**
 * The HTTP app factory: builds the Fastify instance without listening, so
 * tests drive it through inject() and the CLI decides where it listens.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { healthRoutes } from './health';

export interface ServerDeps {
  /** Temporal client used to start and signal workflows. */
  temporal: Client;
  /** Pino logger options, or false for none. @default info-level JSON logs */
  logger?: boolean | object;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? { level: process.env.LOG_LEVEL ?? 'info' },
    // Slack retries an unanswered click after 3 seconds; finish in-flight requests on close.
    return503OnClosing: true,
  });
  await app.register(healthRoutes, { temporal: deps.temporal });
  return app;
}
