import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { execFileSync } from 'node:child_process';
import { buildServer } from '../../../src/server/app';
import { apiErrorResponses } from '../../../src/server/api';
import { conflict, notFound } from '../../../src/server/errors';
import { SignalroomError } from '../../../src/errors';
import { ApprovalConflict } from '../../../src/approvals/client';
import { IncidentNotFound } from '../../../src/incidents/errors';
import { ApprovalViewSchema } from '../../../src/approvals/view';
import { ReviewViewSchema } from '../../../src/reviews/view';
import { OPENAPI_FILE, renderOpenApiDocument } from '../../../src/server/openapi';
import { deadTemporalClient } from '../../support/server';

const CI_TOKEN = 'ci-token-0123456789abcdef';
const READER_TOKEN = 'reader-token-0123456789abcdef';

/** A rule of some module far from HTTP: it knows nothing of routes or status codes, only its error. */
function reserveStage(stage: string): never {
  if (stage === 'taken') throw new ApprovalConflict('approval:deploy:taken:1', ['summary', 'timeout']);
  throw new IncidentNotFound(`No open incident ${stage}`);
}

/** Routes a feature would add: one per error shape the API promises. */
const exampleRoutes: FastifyPluginAsync = async (plain) => {
  const api = plain.withTypeProvider<ZodTypeProvider>();
  api.post(
    '/examples',
    {
      config: { permission: 'approvals:write' },
      schema: {
        operationId: 'createExample',
        body: z.object({ stage: z.string().min(1), count: z.number().int().optional(), tags: z.array(z.string()).optional() }),
        response: { 201: z.object({ stage: z.string() }), ...apiErrorResponses(400) },
      },
    },
    async (request, reply) => reply.code(201).send({ stage: request.body.stage }),
  );
  api.post(
    '/examples/builds',
    { config: { permission: 'approvals:write' }, schema: { body: z.object({ build: z.union([z.string().min(1), z.number()]) }), response: { 201: z.object({ build: z.string() }), ...apiErrorResponses(400) } } },
    async (request, reply) => reply.code(201).send({ build: String(request.body.build) }),
  );
  api.get('/examples/missing', { config: { permission: 'approvals:read' } }, async () => {
    throw notFound('No approval "missing".');
  });
  api.get('/examples/decided', { config: { permission: 'approvals:read' } }, async () => {
    throw conflict('The approval is already decided.');
  });
  api.get('/examples/broken', async () => {
    throw new Error('database password is hunter2');
  });
  api.get('/examples/stages/:stage', { schema: { params: z.object({ stage: z.string() }), response: apiErrorResponses(404, 409) } }, async (request) => reserveStage(request.params.stage));
  api.get(
    '/examples/held',
    {
      // Thrown from a hook, before any handler runs.
      preHandler: async () => {
        throw new SignalroomError('Stage prod is frozen until Monday.', { code: 'stage_frozen', status: 423, details: { field: 'stage' } });
      },
    },
    async () => ({ never: true }),
  );
  api.get('/examples/down', async () => {
    throw new SignalroomError('Temporal at 10.0.0.7:7233 did not answer', { code: 'temporal_unavailable', status: 503 });
  });
};

let app: FastifyInstance;
const logs: string[] = [];

beforeAll(async () => {
  app = await buildServer({
    temporal: await deadTemporalClient(),
    logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } },
    metrics: { defaultMetrics: false },
    apiTokens: [
      { name: 'ci', token: CI_TOKEN, permissions: ['*'] },
      { name: 'dashboard', token: READER_TOKEN, permissions: ['approvals:read', 'runbooks:read'] },
    ],
    apiRoutes: [exampleRoutes],
  });
});
afterAll(() => app.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('/api/v1 bearer tokens', () => {
  test('whoami returns the token name and permissions', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: bearer(READER_TOKEN) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'dashboard', permissions: ['approvals:read', 'runbooks:read'] });
  });

  test.each([
    ['no Authorization header', {}],
    ['an unknown token', bearer('not-a-configured-token-at-all')],
    ['another scheme', { authorization: `Basic ${Buffer.from(`x:${CI_TOKEN}`).toString('base64')}` }],
  ])('%s gets 401', async (_name, headers) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/whoami', headers });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({ error: 'unauthorized', message: expect.any(String) });
  });

  test('a token without the route permission gets 403 naming it', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(READER_TOKEN), payload: { stage: 'prod' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'forbidden', message: 'The token "dashboard" lacks the permission approvals:write.' });
  });

  test('a token with the permission passes; a wildcard token has every permission', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(CI_TOKEN), payload: { stage: 'prod' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ stage: 'prod' });
  });

  test('tokens never reach the logs', () => {
    const all = logs.join('');
    expect(all).not.toContain(CI_TOKEN);
    expect(all).not.toContain(READER_TOKEN);
  });
});

describe('error shapes', () => {
  test("a body the route's zod schema refuses is 400 naming the field", async () => {
    const missing = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(CI_TOKEN), payload: { count: 2 } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: 'invalid_request', field: 'body.stage', message: expect.stringContaining('stage') });
    const wrongType = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(CI_TOKEN), payload: { stage: 'prod', count: 'two' } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({ error: 'invalid_request', field: 'body.count' });
    const empty = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(CI_TOKEN), payload: { stage: '' } });
    expect(empty.json()).toMatchObject({ error: 'invalid_request', field: 'body.stage' });
    const deep = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(CI_TOKEN), payload: { stage: 'prod', tags: ['eu', 7] } });
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({ error: 'invalid_request', field: 'body.tags.1' });
  });

  test('a missing field reads "required", naming it as the answer\'s field does', async () => {
    const missing = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: bearer(CI_TOKEN), payload: { count: 2 } });
    expect(missing.json()).toEqual({ error: 'invalid_request', field: 'body.stage', message: 'body.stage is required' });
    // A field of several accepted shapes (text or number, as an approval's execution) is still just missing.
    const noBuild = await app.inject({ method: 'POST', url: '/api/v1/examples/builds', headers: bearer(CI_TOKEN), payload: {} });
    expect(noBuild.json()).toEqual({ error: 'invalid_request', field: 'body.build', message: 'body.build is required' });
    // A value that is there but wrong keeps zod's own words.
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/examples/builds', headers: bearer(CI_TOKEN), payload: { build: true } });
    expect(wrong.json()).toMatchObject({ error: 'invalid_request', field: 'body.build' });
    expect(wrong.json().message).not.toContain('required');
  });

  test('an error with a code, thrown by a module that knows nothing of HTTP, is answered with its status and code', async () => {
    const taken = await app.inject({ method: 'GET', url: '/api/v1/examples/stages/taken', headers: bearer(CI_TOKEN) });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toEqual({ error: 'conflict', message: expect.stringContaining('approval:deploy:taken:1'), fields: ['summary', 'timeout'] });
    const gone = await app.inject({ method: 'GET', url: '/api/v1/examples/stages/42', headers: bearer(CI_TOKEN) });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ error: 'not_found', message: 'No open incident 42' });
  });

  test('an error with a code thrown from a hook is answered the same way', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/examples/held', headers: bearer(CI_TOKEN) });
    expect(res.statusCode).toBe(423);
    expect(res.json()).toEqual({ error: 'stage_frozen', message: 'Stage prod is frozen until Monday.', field: 'stage' });
  });

  test('an error with a 5xx status still hides its message behind the request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/examples/down', headers: { ...bearer(CI_TOKEN), 'x-request-id': 'req-down-1' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'internal_error', requestId: 'req-down-1' });
    expect(res.body).not.toContain('10.0.0.7');
  });

  test('malformed JSON is 400', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/examples', headers: { ...bearer(CI_TOKEN), 'content-type': 'application/json' }, payload: '{"stage":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_body', message: expect.any(String) });
  });

  test('404 and 409 keep the { error, message } shape', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/examples/missing', headers: bearer(CI_TOKEN) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', message: 'No approval "missing".' });
    const decided = await app.inject({ method: 'GET', url: '/api/v1/examples/decided', headers: bearer(CI_TOKEN) });
    expect(decided.statusCode).toBe(409);
    expect(decided.json()).toEqual({ error: 'conflict', message: 'The approval is already decided.' });
    const noRoute = await app.inject({ method: 'GET', url: '/nowhere' });
    expect(noRoute.statusCode).toBe(404);
    expect(noRoute.json()).toEqual({ error: 'not_found', message: 'No route GET /nowhere' });
  });

  test('a 5xx hides its internals behind the request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/examples/broken', headers: { ...bearer(CI_TOKEN), 'x-request-id': 'req-abc-123' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal_error', requestId: 'req-abc-123' });
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    expect(res.body).not.toContain('hunter2');
    // The cause is logged, with the request id, for the operator.
    expect(logs.some((l) => l.includes('req-abc-123') && l.includes('hunter2'))).toBe(true);
  });
});

describe('OpenAPI document', () => {
  test('is served without a token and lists the routes with their error shapes', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/whoami', '/api/v1/examples']));
    expect(doc.paths['/api/v1/examples'].post.responses['403'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  test("is generated from the routes' zod schemas: request bodies, responses and the shared components", async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const post = doc.paths['/api/v1/examples'].post;
    expect(post.operationId).toBe('createExample');
    expect(post.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['stage'],
      properties: { stage: { type: 'string', minLength: 1 }, count: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
    });
    expect(post.responses['201'].content['application/json'].schema).toMatchObject({ type: 'object', required: ['stage'], properties: { stage: { type: 'string' } } });
    expect(post.responses['400'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
    expect(doc.components.schemas.ErrorBody).toMatchObject({ type: 'object', required: ['error', 'message'] });
  });

  test('the approval routes document the one approval view', async () => {
    const doc = JSON.parse(await renderOpenApiDocument());
    const view = { $ref: '#/components/schemas/Approval' };
    expect(doc.paths['/api/v1/approvals/{id}'].get.responses['200'].content['application/json'].schema).toEqual(view);
    expect(doc.paths['/api/v1/approvals/{id}/wait'].get.responses['202'].content['application/json'].schema).toEqual(view);
    expect(Object.keys(doc.components.schemas.Approval.properties).sort()).toEqual(Object.keys(ApprovalViewSchema.shape).sort());
    expect(doc.paths['/api/v1/approvals'].post.requestBody.content['application/json'].schema.required).toEqual(['pipeline', 'stage', 'execution', 'approverGroups']);
    // Only what a route refers to: no unused input variants of the shared schemas.
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['Approval', 'ErrorBody', 'Freeze', 'Hold', 'InternalErrorBody', 'Review']);
    // The break-glass review's one view, the same way.
    expect(doc.paths['/api/v1/reviews/{approvalId}'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Review' });
    expect(Object.keys(doc.components.schemas.Review.properties).sort()).toEqual(Object.keys(ReviewViewSchema.shape).sort());
  });

  test('docs/openapi.json is current (npm run openapi rewrites it) and valid OpenAPI 3.1', async () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed).toBe(await renderOpenApiDocument());
    expect(validateOpenApi(OPENAPI_FILE)).toEqual({ valid: true, version: '3.1', errors: [] });
  });
});

/** The validator ships only ES modules, so it runs in its own Node process rather than in jest's CommonJS runtime. */
function validateOpenApi(file: string): { valid: boolean; version: string; errors: unknown[] } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    const validator = new Validator();
    const result = await validator.validate(process.argv[1]);
    process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? [] }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, file], { cwd: path.resolve(__dirname, '../../..'), encoding: 'utf8' });
  return JSON.parse(out);
}
