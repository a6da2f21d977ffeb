/**
 * The one error shape of the HTTP server, `{ error: code, message }`, and the
 * central handler that produces it: 4xx name the problem (and the field, for
 * validation errors); 5xx hide their internals behind the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Throw from any route or hook: the central handler answers `{ error: code, message }` with `status`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields of the body (e.g. `field`). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const unprocessable = (message: string, field?: string) => new HttpError(422, 'unprocessable_entity', message, field ? { field } : undefined);

/** The body of every 4xx answer, as a JSON schema for route `response` sections and the OpenAPI document. */
export const ErrorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'A stable machine-readable code, e.g. `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid_request`.' },
    message: { type: 'string', description: 'What went wrong, for a person.' },
    field: { type: 'string', description: 'The request field at fault, for validation errors.' },
    fields: { type: 'array', items: { type: 'string' }, description: 'For a conflict: the fields that differ from the running resource.' },
  },
} as const;

/** The body of every 5xx answer: internals are logged, never returned. */
export const InternalErrorBodySchema = {
  $id: 'InternalErrorBody',
  type: 'object',
  required: ['error', 'requestId'],
  properties: {
    error: { type: 'string', const: 'internal_error' },
    requestId: { type: 'string', description: 'Quote it to find the logged cause.' },
  },
} as const;

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
};

const CODE_BY_FASTIFY_CODE: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
};

/** Where in the request a validation error sits, as a dotted field name (`body.stage`). */
function validationField(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const context = error.validationContext ?? 'body';
  const fromPath = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = (first.params as { missingProperty?: string } | undefined)?.missingProperty;
  const extra = (first.params as { additionalProperty?: string } | undefined)?.additionalProperty;
  const leaf = [fromPath, missing ?? extra].filter(Boolean).join('.');
  return leaf ? `${context}.${leaf}` : context;
}

export function errorBody(error: FastifyError | HttpError | Error, request: FastifyRequest): { status: number; body: Record<string, unknown> } {
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) return { status: error.statusCode, body: { error: 'internal_error', requestId: request.id } };
    return { status: error.statusCode, body: { error: error.code, message: error.message, ...error.details } };
  }
  const fe = error as FastifyError;
  if (fe.validation) {
    const field = validationField(fe);
    return { status: 400, body: { error: 'invalid_request', message: fe.message, ...(field ? { field } : {}) } };
  }
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
  if (status >= 500) return { status, body: { error: 'internal_error', requestId: request.id } };
  return { status, body: { error: (fe.code && CODE_BY_FASTIFY_CODE[fe.code]) ?? CODE_BY_STATUS[status] ?? 'client_error', message: fe.message } };
}

/** Registers the central error and not-found handlers on the root instance (not encapsulated). */
export const errorHandling = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body } = errorBody(error, request);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ status, error: body.error }, 'request refused');
      if (status === 401) reply.header('www-authenticate', 'Bearer');
      return reply.code(status).send(body);
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'signalroom-errors' },
);
