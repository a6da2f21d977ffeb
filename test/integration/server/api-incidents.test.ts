/**
 * /api/v1/runbooks and /api/v1/incidents on the real dev server with a
 * worker talking to the sandbox: every route's success and error codes, and
 * what the incident channel shows.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { buildServer } from '../../../src/server/app';
import { featureApiRoutes } from '../../../src/server/features';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { rememberSecrets, slackHarness, type SlackHarness } from '../../support/slack';
import { eventually } from '../../support/eventually';

const root = path.resolve(__dirname, '../../..');
const tokens = [
  { name: 'ops', token: 'ops-token-0123456789abcdef', permissions: ['*'] as never[] },
  { name: 'reader', token: 'reader-token-0123456789abcd', permissions: ['runbooks:read', 'incidents:read'] as never[] },
];
const auth = (t = tokens[0].token) => ({ authorization: `Bearer ${t}` });

let h: SlackHarness;
let client: Client;
let w: RunningWorker;
let app: FastifyInstance;

beforeAll(async () => {
  h = await slackHarness();
  rememberSecrets(...tokens.map((t) => t.token));
  w = await runningWorker({ activityDeps: { integrations: h.integrations } });
  client = w.client;
  app = await buildServer({
    temporal: client,
    logger: false,
    apiTokens: tokens,
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: w.taskQueue, runbookDirs: [path.join(root, 'runbooks')] }),
  });
});
afterAll(async () => {
  await app.close();
  await w.stop();
  await h.close();
});

test('GET /runbooks lists the example runbooks; 401 without a token', async () => {
  const res = await app.inject({ method: 'GET', url: '/api/v1/runbooks', headers: auth(tokens[1].token) });
  expect(res.statusCode).toBe(200);
  expect(res.json().runbooks.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['seed-example', 'sev1-outage']));
  expect((await app.inject({ method: 'GET', url: '/api/v1/runbooks' })).statusCode).toBe(401);
});

test('POST /runbooks/validate reports problems with line, column and field', async () => {
  const bad = 'steps:\n- Action Type: Slack\n  Operation: Send Message\n  Channel: "#ops"\n  Message: "[incident.nope] happened"\n';
  const res = await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth(), payload: { content: bad, fileName: 'x.yaml' } });
  expect(res.statusCode).toBe(200);
  expect(res.json().valid).toBe(false);
  expect(res.json().problems[0]).toMatchObject({ file: 'x.yaml', line: 5, field: expect.stringContaining('Message') });
  expect((await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth(), payload: { nope: 1 } })).statusCode).toBe(400);
});

test('an incident through the API: open (idempotent), update, severity, state, resolve', async () => {
  const id = `API-${Date.now().toString(36)}`;
  const inputs = { 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'checkout', 'incident.description': 'Payments failing' };
  const opened = await app.inject({ method: 'POST', url: '/api/v1/runbooks/seed-example/runs', headers: auth(), payload: { inputs } });
  expect(opened.statusCode).toBe(201);
  const { workflowId } = opened.json();
  expect(workflowId).toBe(`incident-${id}`);
  const again = await app.inject({ method: 'POST', url: '/api/v1/incidents', headers: auth(), payload: { runbook: 'seed-example', inputs } });
  expect(again.json().workflowId).toBe(workflowId);

  const channelName = `incident-${id.toLowerCase()}`;
  const channel = await eventually('the incident channel', () => h.sandbox.channelByName(channelName));
  const thread = await eventually('the updates thread', () => h.sandbox.messages(channel.id).find((m) => m.text === `Updates for incident ${id}`));

  expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/updates`, headers: auth(), payload: { text: 'Rolled back', author: 'U0ALICE' } })).statusCode).toBe(202);
  await eventually('the update in the thread', () => h.sandbox.replies(channel.id, thread.ts).find((m) => m.text.includes('Rolled back')));
  expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/severity`, headers: auth(), payload: { severity: 'SEV1' } })).statusCode).toBe(202);
  const state = await eventually('the severity change', async (): Promise<{ updates: number; timeline: Array<{ kind: string }> } | undefined> => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}`, headers: auth(tokens[1].token) });
    return res.statusCode === 200 && res.json().incident.severity === 'SEV1' ? res.json() : undefined;
  });
  expect(state.updates).toBe(1);
  expect(state.timeline.map((t: { kind: string }) => t.kind)).toEqual(expect.arrayContaining(['opened', 'update', 'severity']));

  expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/resolve`, headers: auth(tokens[1].token), payload: {} })).statusCode).toBe(403);
  expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/resolve`, headers: auth(), payload: { resolvedBy: 'U0ALICE' } })).statusCode).toBe(202);
  const result = await client.workflow.getHandle(workflowId).result();
  expect(result.status).toBe('resolved');
  expect(h.sandbox.channel(channel.id)!.members.size).toBeGreaterThan(1);
  // Signals after the end are refused as not found.
  expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/updates`, headers: auth(), payload: { text: 'late' } })).statusCode).toBe(404);
});

test('errors name the problem: unknown runbook 404, missing incident.id 422, bad severity 400, unknown incident 404', async () => {
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/runbooks/nope/runs', headers: auth(), payload: { inputs: { 'incident.id': '1' } } });
  expect(unknown.statusCode).toBe(404);
  expect(unknown.json().message).toContain('No valid runbook named "nope"');
  // An alerting tool's unquoted id is read as text, as it always was: past validation, to the unknown runbook.
  const numeric = await app.inject({ method: 'POST', url: '/api/v1/runbooks/nope/runs', headers: auth(), payload: { inputs: { 'incident.id': 42 } } });
  expect(numeric.statusCode).toBe(404);
  expect(numeric.json()).toEqual({ error: 'not_found', message: expect.stringContaining('No valid runbook named "nope"') });
  const missing = await app.inject({ method: 'POST', url: '/api/v1/runbooks/seed-example/runs', headers: auth(), payload: { inputs: { 'incident.severity': 'SEV1' } } });
  expect(missing.statusCode).toBe(422);
  expect(missing.json().message).toContain('incident.id is required');
  expect((await app.inject({ method: 'POST', url: '/api/v1/incidents/x/severity', headers: auth(), payload: { severity: 'SEV 1!' } })).statusCode).toBe(400);
  expect((await app.inject({ method: 'POST', url: '/api/v1/incidents/NO-SUCH/updates', headers: auth(), payload: { text: 'x' } })).statusCode).toBe(404);
});
