/**
 * Attacks on what a stranger can make the server do: exhaust the stack with
 * a deep `When`, expand a YAML alias bomb in the validation thread, tie up
 * the event loop with large runbook bodies so a Slack
 * click misses its 3 seconds, drive the sandbox page from a foreign web page
 * (DNS rebinding), and read file paths from the public /readyz.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../src/server/app';
import { featureInteractionRoutes } from '../../../src/server/features';
import { serverDepsFrom } from '../../../src/cli/server';
import { createRuntime } from '../../../src/runtime';
import { ConfigSchema } from '../../../src/config/schema';
import { ConditionTooComplexError, parseCondition } from '../../../core/runbook/condition';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { SANDBOX_PAGE_HEADER } from '../../../src/sandbox/page/routes';
import { buttonClick, deadTemporalClient, formBody, LOOPBACK_REPLIES, SECRET, serverWithoutTemporal } from '../../support/server';
import { computeSlackSignature } from '../../../src/server/slack-signature';

const TOKEN = 'runbook-reader-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/** A runbook file whose JSON request body is about `bytes`, made of many valid steps (the costliest kind to validate). */
function largeRunbook(bytes: number, step = '  - Action Type: Slack\n    Operation: Send Message\n    Channel: "#deploys"\n    Message: "[incident.id] is still open"\n    When: "incident.id and not incident.severity"\n'): string {
  let text = 'name: large\ninputs: [incident.id, incident.severity]\nsteps:\n';
  const stepBytes = JSON.stringify(step).length - 2;
  while (JSON.stringify({ content: text }).length + stepBytes < bytes) text += step;
  return text;
}

const withWhen = (when: string) =>
  `name: deep\ninputs: [incident.id]\nsteps:\n  - Action Type: Slack\n    Operation: Send Message\n    Channel: "#deploys"\n    Message: hi\n    When: "${when}"\n`;

describe('limits on what a stranger can send', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await serverWithoutTemporal({
      signingSecrets: [SECRET],
      interactionRoutes: featureInteractionRoutes(),
      apiTokens: [{ name: 'reader', token: TOKEN, permissions: ['runbooks:read'] }],
      delivery: { ackWithinMs: 200, deliverForMs: 300, attemptTimeoutMs: 200 },
      responseUrlBases: LOOPBACK_REPLIES,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());
  const base = () => `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  test('a 50,000-deep When expression is a 400 naming the limit, not a 500 or a stack overflow', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth, payload: { content: withWhen(`${'!'.repeat(50_000)}incident.id`) } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request', field: 'steps[0].When' });
    expect(res.json().message).toMatch(/the expression is too long: at most 400 words|nests deeper than 32 levels/);
    expect(res.body.length).toBeLessThan(1000);
    // The parser itself refuses it, however it nests.
    expect(() => parseCondition(`${'('.repeat(50_000)}incident.id${')'.repeat(50_000)}`)).toThrow(ConditionTooComplexError);
    expect(() => parseCondition(`[${'['.repeat(50_000)}`)).toThrow(ConditionTooComplexError);
    expect(() => parseCondition(`${'('.repeat(40)}incident.id${')'.repeat(40)}`)).toThrow(/nests deeper than 32 levels/);
    expect(() => parseCondition(Array(5_000).fill('incident.id').join(' and '))).toThrow(/too long/);
    // Real conditions still parse.
    expect(parseCondition('not (incident.severity in [SEV1, SEV2]) or incident.id').kind).toBe('or');
  });

  test('a runbook body past 64 KiB is refused with 413 before it is parsed', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth, payload: { content: `name: huge\n# ${'x'.repeat(1_000_000)}\n` } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('payload_too_large');
  });

  test('a YAML alias bomb sent for validation is one problem, and the validation thread goes on with the next runbook', async () => {
    // Billion laughs: 10 levels of 10 aliases each, a few hundred bytes that expand to 10^10 strings.
    const levels = Array.from({ length: 10 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`);
    const bomb = ['name: bomb', 'l0: &l0 "lol"', ...levels, 'steps: []', ''].join('\n');
    const res = await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth, payload: { content: bomb } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ valid: false, problems: [expect.objectContaining({ message: expect.stringMatching(/alias/i) })] });
    const next = await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth, payload: { content: withWhen('incident.id') } });
    expect(next.statusCode).toBe(200);
    expect(next.json()).toMatchObject({ valid: true, name: 'deep' });
  });

  test('a runbook with thousands of problems gets the first 100 back and the count of the rest', async () => {
    const content = largeRunbook(63 * 1024, '  - Action Type: Slack\n    Operation: Send Message\n    Channel: "#Deploys"\n    Message: "[incident.nope]"\n');
    const res = await app.inject({ method: 'POST', url: '/api/v1/runbooks/validate', headers: auth, payload: { content } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.valid).toBe(false);
    expect(body.problems).toHaveLength(100);
    expect(body.problemsOmitted).toBeGreaterThan(500);
  });

  test("four parallel large runbook bodies do not hold up a click's acknowledgement", async () => {
    const content = largeRunbook(63 * 1024);
    const answered: string[] = [];
    const validations = Array.from({ length: 4 }, (_, i) =>
      fetch(`${base()}/api/v1/runbooks/validate`, { method: 'POST', headers: auth, body: JSON.stringify({ content: `${content}# ${i}\n` }) }).then((r) => {
        answered.push(`validate-${i}`);
        return r.status;
      }),
    );
    // A click no route takes is answered at once: an approval's would wait out its ack window on this server's
    // unreachable Temporal, and on a fast machine four validations can be done within that window.
    const body = formBody(buttonClick({ actionId: 'no-route:takes-this', value: 'approval-wf-1' }));
    const ts = String(Math.floor(Date.now() / 1000));
    const clickedAt = Date.now();
    const click = fetch(`${base()}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(SECRET, ts, body) },
      body,
    }).then((r) => {
      answered.push('click');
      return { status: r.status, ms: Date.now() - clickedAt };
    });
    const [statuses, ack] = await Promise.all([Promise.all(validations), click]);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(ack.status).toBe(200);
    // The click was answered while the bodies were still being validated, within Slack's own 3 s.
    expect(answered.indexOf('click')).toBeLessThan(answered.length - 1);
    expect(ack.ms).toBeLessThan(3000);
  });
});

describe('the sandbox page cannot be driven by a foreign web page', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
  });
  afterAll(() => sandbox.close());

  /** node:http, not fetch: fetch will not send a Host header of our choosing, as a rebound browser would. */
  const request = (method: string, route: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; json: () => Promise<{ error?: string }> }>((resolve, reject) => {
      const req = http.request(`${sandbox.url}${route}`, { method, headers }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: async () => JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const post = (headers: Record<string, string>, body = JSON.stringify({ userId: 'U0ALICE', channelId: 'C0DEPLOYS', text: 'clicked by evil.example' })) => request('POST', '/_sandbox/post', headers, body);

  test('a DNS-rebound name (Host: evil.example) is refused and nothing is posted', async () => {
    const res = await post({ host: 'evil.example', 'content-type': 'application/json', [SANDBOX_PAGE_HEADER]: '1' });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toContain('loopback');
    const state = await request('GET', '/_sandbox/state', { host: 'evil.example:80', [SANDBOX_PAGE_HEADER]: '1' });
    expect(state.status).toBe(403);
    expect(sandbox.messages('C0DEPLOYS').some((m) => m.text.includes('evil.example'))).toBe(false);
  });

  test('a request from another Origin is refused and nothing is posted', async () => {
    const res = await post({ origin: 'http://evil.example', 'content-type': 'application/json', [SANDBOX_PAGE_HEADER]: '1' });
    expect(res.status).toBe(403);
    expect(sandbox.messages('C0DEPLOYS').some((m) => m.text.includes('evil.example'))).toBe(false);
  });

  test('a cross-site form post (no custom header, not JSON) is refused and nothing is posted', async () => {
    const form = await post({ 'content-type': 'text/plain' });
    expect(form.status).toBe(403);
    const noHeader = await post({ 'content-type': 'application/json' });
    expect(noHeader.status).toBe(403);
    expect((await noHeader.json()).error).toContain(SANDBOX_PAGE_HEADER);
    const notJson = await post({ 'content-type': 'text/plain', [SANDBOX_PAGE_HEADER]: '1' });
    expect(notJson.status).toBe(403);
    expect(sandbox.messages('C0DEPLOYS').some((m) => m.text.includes('evil.example'))).toBe(false);
  });

  test('the page itself (loopback, its header, JSON) still posts', async () => {
    const res = await post({ 'content-type': 'application/json', [SANDBOX_PAGE_HEADER]: '1', origin: sandbox.url });
    expect(res.status).toBe(200);
    expect(sandbox.messages('C0DEPLOYS').some((m) => m.text === 'clicked by evil.example')).toBe(true);
  });
});

test('the public /readyz does not reveal the configuration file path', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sr-readyz-'));
  const runtime = await createRuntime({ env: { SIGNALROOM_DATA_DIR: dataDir }, config: ConfigSchema.parse({}), configFile: '/etc/signalroom/secret-place/signalroom.yaml' });
  const app = await buildServer({ ...serverDepsFrom(runtime, await deadTemporalClient()), logger: false });
  const res = await app.inject({ method: 'GET', url: '/readyz' });
  expect(res.statusCode).toBe(503);
  expect(res.json()).toEqual({ status: 'not_ready', temporal: 'unreachable', config: 'loaded' });
  expect(res.body).not.toContain('/etc/signalroom');
  await app.close();
  await runtime.close();
});
