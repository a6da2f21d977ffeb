/**
 * Attack: probe /api/v1 without a token for what exists and what the server
 * does with a body, through paths no route matches: `.` and `..` segments
 * (`/api/v1/runbooks/./runs` is `/api/v1/runbooks/runs` once normalised),
 * made-up routes, bodies that do not parse. Each used to be answered by the
 * server-wide not-found handler, outside the API's token check: a 404 that
 * told which paths are routes, or a 400 after the body was parsed for nobody.
 * Every path under /api/v1 but the public document must be a 401 before the
 * body is read; with a token, an unknown path is a 404 naming it.
 */
import type { FastifyInstance } from 'fastify';
import { serverWithoutTemporal } from '../../support/server';

const TOKEN = 'unknown-paths-token-0123456789abcdef';
let app: FastifyInstance;

beforeAll(async () => {
  app = await serverWithoutTemporal({ apiTokens: [{ name: 'ci', token: TOKEN, permissions: ['*'] }] });
});
afterAll(() => app?.close());

const JSON_TYPE = { 'content-type': 'application/json' };

test.each([
  ['POST', '/api/v1/runbooks/./runs', ''],
  ['POST', '/api/v1/runbooks/./runs', '{}'],
  ['POST', '/api/v1/runbooks/../runs', '{"inputs":'],
  ['POST', '/api/v1/approvals/./decisions', '{"verb":"approve"}'],
  ['GET', '/api/v1/approvals/..', undefined],
  ['GET', '/api/v1/admin', undefined],
  ['DELETE', '/api/v1/whoami', undefined],
] as const)('without a token, %s %s (body %j) is 401, whatever the path resolves to', async (method, url, payload) => {
  const res = await app.inject({ method, url, headers: JSON_TYPE, payload });
  expect(res.statusCode).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer');
  expect(res.json()).toEqual({ error: 'unauthorized', message: 'Send an API token as `Authorization: Bearer <token>`.' });
});

test('with a token, a path no route matches is a 404 naming it', async () => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/runbooks/./runs', headers: { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` }, payload: '{}' });
  expect(res.statusCode).toBe(404);
  expect(res.json()).toEqual({ error: 'not_found', message: 'No route POST /api/v1/runbooks/runs' });
});

test('the document stays public, and a path outside the API is a plain 404', async () => {
  expect((await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).statusCode).toBe(200);
  const outside = await app.inject({ method: 'GET', url: '/nowhere' });
  expect(outside.statusCode).toBe(404);
  expect(outside.json()).toEqual({ error: 'not_found', message: 'No route GET /nowhere' });
});
