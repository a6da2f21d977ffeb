/**
 * /api/v1: the pipeline API. This plugin brings what every API route shares —
 * bearer-token auth, the error shapes, the OpenAPI 3.1 document generated
 * from the route schemas — and one example route, `GET /whoami`. Features add
 * their routes through `buildServer({ apiRoutes })`; they land in this
 * context, so they are authenticated and documented without touching it.
 */
import type { FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import { apiAuth, type ApiTokenConfig } from './api-auth';
import { ErrorBodySchema, InternalErrorBodySchema } from './errors';

export const API_PREFIX = '/api/v1';

/** `$ref`s to the shared error bodies, for a route's `response` schema: `response: { 200: ..., ...apiErrorResponses(404, 409) }`. */
export function apiErrorResponses(...extra: Array<400 | 404 | 409 | 413 | 422 | 429>): Record<number, unknown> {
  const out: Record<number, unknown> = {
    401: { description: 'The token is missing or unknown.', $ref: 'ErrorBody#' },
    403: { description: 'The token lacks the permission this route needs.', $ref: 'ErrorBody#' },
    500: { description: 'An internal error; quote the request id.', $ref: 'InternalErrorBody#' },
  };
  const descriptions = { 400: 'The request is not valid; `field` names the problem.', 404: 'No such resource.', 409: 'The resource is not in a state that allows this.', 413: 'The body is larger than this route accepts.', 429: 'Too many requests of this kind at once; retry shortly.', 422: 'The request is well-formed but cannot be applied; `field` names the problem.' };
  for (const code of extra) out[code] = { description: descriptions[code], $ref: 'ErrorBody#' };
  return out;
}

export interface ApiOptions {
  tokens: readonly ApiTokenConfig[];
  /** Feature routes, registered inside /api/v1 after auth. */
  routes: readonly FastifyPluginAsync[];
  /** The version the document states. */
  version: string;
}

export const apiV1: FastifyPluginAsync<ApiOptions> = async (api, options) => {
  api.addSchema(ErrorBodySchema);
  api.addSchema(InternalErrorBodySchema);
  await api.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Signalroom API',
        version: options.version,
        description: 'Start and follow deployment approvals, runbooks and incidents from pipelines. Every route but this document needs `Authorization: Bearer <token>` with a token from `api.tokens` in signalroom.yaml.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token from the configuration (api.tokens).' } } },
      security: [{ bearerAuth: [] }],
    },
    // Shared schemas keep their $id as the component name (ErrorBody), not def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await api.register(apiAuth, { tokens: options.tokens });

  api.get(
    '/openapi.json',
    { config: { public: true }, schema: { hide: true } },
    async () => api.swagger(),
  );

  api.get(
    '/whoami',
    {
      schema: {
        operationId: 'whoami',
        summary: "The calling token's name and permissions",
        tags: ['auth'],
        response: {
          200: {
            description: 'The calling token',
            type: 'object',
            required: ['name', 'permissions'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', description: 'The token’s name in the configuration.' },
              permissions: { type: 'array', items: { type: 'string' } },
            },
          },
          ...apiErrorResponses(),
        },
      },
    },
    async (request) => ({ name: request.apiToken!.name, permissions: request.apiToken!.permissions }),
  );

  for (const routes of options.routes) await api.register(routes);
};
