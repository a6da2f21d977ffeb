/**
 * Attack: a token with freezes:write sends a freeze that is too big to
 * keep or too frequent to run — a 10,000-character reason, a name of 500
 * characters, 5,000 services, a cron that fires every minute, a ten-year
 * one-off — hoping to bloat every approval card, the hold board and the
 * workflow history, or to run a window a minute forever.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { isolatedNamespace } from '../../support/temporal';
import { securityStack, type SecurityStack } from '../../support/security';

const OPS = 'freeze-bounds-token-0123456789abc';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ namespace: await isolatedNamespace('freeze-bounds'), apiTokens: [{ name: 'release-ops', token: OPS, permissions: ['freezes:read', 'freezes:write'], slackUser: 'U0CAROL' }] });
});
afterAll(() => s?.close());

const soon = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
let n = 0;
const valid = () => ({ name: `bounded-${Date.now().toString(36)}${++n}`, stages: ['production'], services: ['checkout'], from: soon(-1), until: soon(60), reason: 'Release' });
const notStarted = (name: string) => expect(s.client.workflow.getHandle(`freeze:${name}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

test.each([
  ['a 10,000-character reason', { reason: 'r'.repeat(10_000) }, 'body.reason', /^reason: Too big: expected string to have <=500 characters$/],
  ['a 500-character name', { name: 'n'.repeat(500) }, 'body.name', /^name: Too big: expected string to have <=63 characters$/],
  ['5,000 services', { services: Array.from({ length: 5_000 }, (_, i) => `svc-${i}`) }, 'body.services', /^services: Too big: expected array to have <=100 items$/],
  ['a cron that fires every minute', { from: undefined, until: undefined, cron: '* * * * *', duration: '1m', timeZone: 'Europe/Berlin' }, 'body.cron', /^cron: "\* \* \* \* \*" starts windows 1m apart \(.*\); a freeze's windows start at least 1h apart$/],
  ['a ten-year one-off', { until: soon(10 * 366 * 24 * 60) }, 'body.until', /^until: a one-off freeze holds at most 90d, and this one 36\d\dd: end it sooner, or make it recurring$/],
  ['a window a month long every day', { from: undefined, until: undefined, cron: '0 0 * * *', duration: '30d', timeZone: 'UTC' }, 'body.duration', /^duration: windows of 30d would run into each other/],
])('%s is a 422 naming the field, and starts nothing', async (_what, change, field, message) => {
  const body = { ...valid(), ...change } as Record<string, unknown>;
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  const res = await s.api('POST', '/freezes', OPS, body);
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ error: 'unprocessable_entity', field });
  expect(res.body.message).toMatch(message);
  if (typeof body.name === 'string' && body.name.length <= 63) await notStarted(body.name);
});

test('a body of the wrong shape is still a 400; a bound freeze is accepted', async () => {
  const wrong = await s.api('POST', '/freezes', OPS, { ...valid(), services: 'checkout' });
  expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'body.services' } });
  const ok = valid();
  expect((await s.api('POST', '/freezes', OPS, ok)).status).toBe(201);
  expect((await s.api('POST', `/freezes/${ok.name}/end`, OPS, { reason: 'x'.repeat(501) })).status).toBe(422);
  expect((await s.api('POST', `/freezes/${ok.name}/end`, OPS, {})).status).toBe(200);
});
