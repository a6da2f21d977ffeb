/**
 * How requests are logged. Fastify logs each request twice, when it comes in
 * and when it is answered. A route marked `config: { oneLogLine: true }`
 * logs once, when it is answered: Fastify's `request completed` line, with
 * the request (method, URL, remote address) and whatever the route put in
 * `request.logFields` (for a click: its route, workflow and outcome).
 *
 * POST /slack/interactions is marked: a click is the request anyone can send
 * most often, and every line costs its serialization and redaction (three
 * lines were a quarter of a click's CPU time; bench/README.md, Findings).
 * Errors, and every other route, are logged as Fastify logs them.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** What a `oneLogLine` route adds to its request's one line. */
    logFields?: Record<string, unknown>;
  }
  interface FastifyContextConfig {
    /** Log this route's requests in one line, when answered (src/server/request-log.ts). */
    oneLogLine?: boolean;
  }
}

const oneLine = (request: FastifyRequest) => request.routeOptions.config?.oneLogLine === true;

export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (oneLine(request)) return;
    super.incomingRequest(request, reply, metadata);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error || !oneLine(request)) return super.requestCompleted(error, request, reply, metadata);
    if (this.isLogDisabled(request)) return;
    reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime, ...request.logFields }, 'request completed');
  }
}
