/**
 * The one error shape of the HTTP server, `{ error: code, message }`, and the
 * central handler that produces it: 4xx name the problem (and the field, for
 * validation errors); 5xx hide their internals behind the request id. A
 * SignalroomError (src/errors.ts) thrown anywhere — a route, a hook, a
 * service — is answered with its own status and code; routes map nothing.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { NotFoundError, SignalroomError, UnprocessableError } from '../errors';

const refusal = (status: number, code: string) => (message: string) => new SignalroomError(message, { code, status });
export const unauthorized = refusal(401, 'unauthorized');
export const forbidden = refusal(403, 'forbidden');
export const notFound = (message: string) => new NotFoundError(message);
export const conflict = refusal(409, 'conflict');
export const tooManyRequests = refusal(429, 'too_many_requests');
export const unprocessable = (message: string, field?: string) => new UnprocessableError(message, field);
/** A 400 about one field, for what a schema cannot say (`body.content`). */
export const invalidRequest = (message: string, field: string) => new SignalroomError(message, { code: 'invalid_request', status: 400, details: { field } });

/** The body of every 4xx answer (the OpenAPI component `ErrorBody`). */
export const ErrorBody = z
  .object({
    error: z.string().describe('A stable machine-readable code, e.g. `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid_request`.'),
    message: z.string().describe('What went wrong, for a person.'),
    field: z.string().optional().describe('The request field at fault, for validation errors.'),
    fields: z.array(z.string()).optional().describe('For a conflict: the fields that differ from the running resource.'),
  })
  .meta({ id: 'ErrorBody' });

/** The body of every 5xx answer: internals are logged, never returned (the OpenAPI component `InternalErrorBody`). */
export const InternalErrorBody = z
  .object({
    error: z.literal('internal_error'),
    requestId: z.string().describe('Quote it to find the logged cause.'),
  })
  .meta({ id: 'InternalErrorBody' });

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

/**
 * Where in the request a validation error sits, as a dotted field name
 * (`body.stage`): from zod's issue path on /api/v1, from Ajv's on the rest.
 */
function validationField(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const context = error.validationContext ?? 'body';
  const fromPath = first.instancePath.split('/').filter(Boolean).join('.');
  // An unknown key (zod's `keys`) or a missing or extra property (Ajv's) is named below the path.
  const { keys, missingProperty, additionalProperty } = first.params ?? {};
  const named = [keys, missingProperty, additionalProperty].flat().find((v): v is string => typeof v === 'string');
  const leaf = [fromPath, named].filter(Boolean).join('.');
  return leaf ? `${context}.${leaf}` : context;
}

/**
 * Whether the first validation error is about a field the request left out:
 * zod says "Invalid input" for a missing field of several shapes (an
 * approval's `execution`, text or number), which reads as if a value were there.
 */
function isMissing(error: FastifyError, request: FastifyRequest): boolean {
  const first = error.validation?.[0];
  if (!first || first.keyword === 'unrecognized_keys') return false;
  const path = first.instancePath.split('/').filter(Boolean);
  if (!path.length) return false;
  let value: unknown = (request as unknown as Record<string, unknown>)[error.validationContext ?? 'body'];
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return true;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined;
}

/** The one mapping from an error to the answer: a SignalroomError says its own status and code, wherever it was thrown. */
export function errorBody(error: FastifyError, request: FastifyRequest): { status: number; body: Record<string, unknown> } {
  if (error instanceof SignalroomError) {
    if (error.status >= 500) return { status: error.status, body: { error: 'internal_error', requestId: request.id } };
    return { status: error.status, body: { error: error.code, message: error.message, ...error.details } };
  }
  if (error.validation) {
    const field = validationField(error);
    const message = field && isMissing(error, request) ? `${field} is required` : error.message;
    return { status: 400, body: { error: 'invalid_request', message, ...(field ? { field } : {}) } };
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status >= 500) return { status, body: { error: 'internal_error', requestId: request.id } };
  return { status, body: { error: (error.code && CODE_BY_FASTIFY_CODE[error.code]) ?? CODE_BY_STATUS[status] ?? 'client_error', message: error.message } };
}

/** The answer to a path no route matches, wherever a not-found handler is set. */
export function noRoute(request: FastifyRequest, reply: FastifyReply) {
  return reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` });
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
    app.setNotFoundHandler(noRoute);
  },
  { name: 'signalroom-errors' },
);
