/**
 * /api/v1: the pipeline API. This plugin brings what every API route shares —
 * bearer-token auth, the error shapes, zod schemas through
 * fastify-type-provider-zod (they validate requests, shape responses, type
 * the handlers) and the OpenAPI 3.1 document generated from them — and one
 * example route, `GET /whoami`. Features add their routes through
 * `buildServer({ apiRoutes })`, with zod schemas (`withTypeProvider<ZodTypeProvider>()`);
 * they land in this context, so they are authenticated and documented
 * without touching it. Errors are not mapped here: a SignalroomError thrown
 * anywhere is answered by the central handler (errors.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import swagger, { type SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiAuth, type ApiTokenConfig } from './api-auth';
import { ErrorBody, InternalErrorBody, noRoute } from './errors';
import { didYouMean } from '../../core/did-you-mean';

export const API_PREFIX = '/api/v1';

/**
 * A text field that also takes a JSON number, as its decimal string.
 * Pipelines and alerting tools template build numbers and ids into JSON
 * unquoted (`"execution": 1234`); the API has always read those as text.
 */
export function textOrNumber(text: z.ZodString) {
  return z.union([text, z.number().transform(String)]);
}

/**
 * A request body's object: a field it does not know is refused (400 naming
 * it, with the field it was probably meant to be), never dropped: a typo
 * such as `minApproval` would otherwise weaken a gate in silence (SECURITY.md).
 */
export function strictBody<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => `unknown field "${key}"${didYouMean(key, known)}`).join('; ') : undefined),
  });
}

const ERROR_DESCRIPTIONS = {
  400: 'The request is not valid; `field` names the problem.',
  401: 'The token is missing or unknown.',
  403: 'The token lacks the permission this route needs.',
  404: 'No such resource.',
  409: 'The resource is not in a state that allows this.',
  413: 'The body is larger than this route accepts.',
  422: 'The request is well-formed but cannot be applied; `field` names the problem.',
  429: 'Too many requests of this kind at once; retry shortly.',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** A response of the shared 4xx body (the `ErrorBody` component), with what the status means on this route. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: ErrorBody } } };
}

/** The shared error responses of a route's `response` schema: `response: { 200: ..., ...apiErrorResponses(404, 409) }`. */
export function apiErrorResponses<Extra extends Exclude<ErrorStatus, 401 | 403>>(...extra: Extra[]) {
  const refusals = Object.fromEntries(([401, 403, ...extra] as const).map((code) => [code, errorResponse(ERROR_DESCRIPTIONS[code])]));
  return {
    ...(refusals as Record<401 | 403 | Extra, ReturnType<typeof errorResponse>>),
    500: { description: 'An internal error; quote the request id.', content: { 'application/json': { schema: InternalErrorBody } } },
  };
}

/**
 * The components no route refers to. The zod transform writes an input and
 * an output variant of every registered schema (`ErrorBodyInput` beside
 * `ErrorBody`); a variant no route uses would only puzzle a reader.
 */
function withoutUnusedComponents(document: ReturnType<SwaggerTransformObject>): ReturnType<SwaggerTransformObject> {
  if (!('components' in document)) return document;
  const schemas: Record<string, unknown> | undefined = document.components?.schemas;
  if (!schemas) return document;
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
  const used = new Set(refsIn({ ...document, components: { ...document.components, schemas: {} } }));
  for (const name of used) for (const ref of refsIn(schemas[name])) used.add(ref);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  return document;
}

export interface ApiOptions {
  tokens: readonly ApiTokenConfig[];
  /** Feature routes, registered inside /api/v1 after auth. */
  routes: readonly FastifyPluginAsync[];
  /** The version the document states. */
  version: string;
}

export const apiV1: FastifyPluginAsync<ApiOptions> = async (plain, options) => {
  // Every /api/v1 route's schemas are zod: they validate requests, shape responses, type the handlers and make the document.
  plain.setValidatorCompiler(validatorCompiler);
  plain.setSerializerCompiler(serializerCompiler);
  const api = plain.withTypeProvider<ZodTypeProvider>();
  await api.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Signalroom API',
        version: options.version,
        description: 'Start and follow deployment approvals, runbooks and incidents from pipelines. Every route but this document needs `Authorization: Bearer <token>` with a token from `api.tokens` in signalroom.yaml.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // One document for every deployment (docs/openapi.json is the served one): the address is a variable.
      servers: [
        {
          url: '{origin}',
          description: 'The Signalroom server',
          variables: { origin: { default: 'http://127.0.0.1:3000', description: 'Where it is reached: its SIGNALROOM_PUBLIC_URL (README, "Environment")' } },
        },
      ],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token from the configuration (api.tokens).' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas with a registered id (ErrorBody, Approval) become components, referenced by the routes.
    transformObject: (document) => withoutUnusedComponents(jsonSchemaTransformObject(document)),
  });
  await api.register(apiAuth, { tokens: options.tokens });
  // A path under /api/v1 that no route matches (`runbooks/./runs` included) is answered here, after the token check
  // above: without a token every such path is a 401, so probing tells nothing and no body is parsed for nobody.
  api.setNotFoundHandler(noRoute);

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
            content: { 'application/json': { schema: z.object({ name: z.string().describe('The token’s name in the configuration.'), permissions: z.array(z.string()) }) } },
          },
          ...apiErrorResponses(),
        },
      },
    },
    async (request) => ({ name: request.apiToken!.name, permissions: request.apiToken!.permissions }),
  );

  for (const routes of options.routes) await api.register(routes);
};
