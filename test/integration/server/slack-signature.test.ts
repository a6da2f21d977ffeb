import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../src/server/app';
import { computeSlackSignature, verifySlackSignature } from '../../../src/server/slack-signature';
import { buttonClick, deadTemporalClient, formBody, LOOPBACK_REPLIES, SECRET, signedRequest } from '../../support/server';

// Slack's worked example: https://api.slack.com/authentication/verifying-requests-from-slack
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

describe("Slack's v0 signature", () => {
  test("computes Slack's documented example", () => {
    expect(computeSlackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
  });

  const base = { rawBody: DOC_BODY, signature: DOC_SIGNATURE, timestamp: DOC_TIMESTAMP, secrets: [DOC_SECRET], nowMs: Number(DOC_TIMESTAMP) * 1000 + 30_000 };

  test.each([
    ['the documented example, 30 s later', {}, 'ok'],
    ['any of several secrets matching', { secrets: ['another-app-secret', DOC_SECRET] }, 'ok'],
    ['a tampered body', { rawBody: DOC_BODY.replace('roadrunner', 'coyote') }, 'invalid_signature'],
    ['a wrong secret', { secrets: ['not-the-secret'] }, 'invalid_signature'],
    ['no secret configured', { secrets: [] }, 'invalid_signature'],
    ['a signature of another length', { signature: 'v0=abc' }, 'invalid_signature'],
    ['a stale timestamp (6 minutes old)', { nowMs: (Number(DOC_TIMESTAMP) + 360) * 1000 }, 'stale_timestamp'],
    ['a future timestamp (6 minutes ahead)', { nowMs: (Number(DOC_TIMESTAMP) - 360) * 1000 }, 'stale_timestamp'],
    ['a missing signature', { signature: undefined }, 'missing_signature'],
    ['a missing timestamp', { timestamp: undefined }, 'missing_timestamp'],
    ['a timestamp that is not a number', { timestamp: '15314x0618' }, 'invalid_timestamp'],
  ])('%s', (_name, change, expected) => {
    const result = verifySlackSignature({ ...base, ...change });
    expect(result.ok ? 'ok' : result.problem).toBe(expected);
  });
});

describe('POST /slack/interactions refuses what is not a signed, well-formed click', () => {
  let app: FastifyInstance;
  const signalled: unknown[] = [];
  const now = Number(DOC_TIMESTAMP) * 1000 + 60_000;

  beforeAll(async () => {
    app = await buildServer({
      temporal: await deadTemporalClient(),
      logger: false,
      signingSecrets: [SECRET, DOC_SECRET],
      responseUrlBases: LOOPBACK_REPLIES,
      now: () => now,
      interactionRoutes: [
        {
          name: 'spy',
          matches: () => true,
          toSignal: (i) => {
            signalled.push(i);
            return { reply: 'seen' };
          },
        },
      ],
      respondToClicker: async () => undefined,
      metrics: { defaultMetrics: false },
    });
  });
  afterAll(() => app.close());
  afterEach(() => {
    expect(signalled).toEqual([]);
  });

  const click = formBody(buttonClick({ actionId: 'signalroom:approval:approve', value: 'wf-1' }));
  const at = Math.floor(now / 1000);

  test("Slack's documented example passes the signature check (it carries no interaction payload, so 400 names the payload)", async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/slack/interactions',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': DOC_TIMESTAMP, 'x-slack-signature': DOC_SIGNATURE },
      payload: DOC_BODY,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_payload', field: 'payload', message: expect.stringContaining('payload') });
  });

  test.each([
    ['a tampered body', () => ({ ...signedRequest(click, { timestamp: at }), payload: click.replace('U0CLICKER', 'U0MALLORY') }), 'invalid_signature'],
    ['a wrong secret', () => signedRequest(click, { timestamp: at, secret: 'someone-elses-secret' }), 'invalid_signature'],
    ['a stale timestamp', () => signedRequest(click, { timestamp: at - 301 }), 'stale_timestamp'],
    ['a future timestamp', () => signedRequest(click, { timestamp: at + 301 }), 'stale_timestamp'],
    ['no signature header', () => signedRequest(click, { timestamp: at, headers: { 'x-slack-signature': '' } }), 'missing_signature'],
    ['no timestamp header', () => signedRequest(click, { timestamp: at, headers: { 'x-slack-request-timestamp': '' } }), 'missing_timestamp'],
  ])('%s gets 401 naming the problem', async (_name, request, problem) => {
    const res = await app.inject(request());
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: problem, message: expect.any(String) });
  });

  test('an unsigned request without any headers gets 401', async () => {
    const res = await app.inject({ method: 'POST', url: '/slack/interactions', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: click });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('missing_timestamp');
  });

  test('ssl_check is answered 200 and reaches nothing', async () => {
    const res = await app.inject({ method: 'POST', url: '/slack/interactions', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'ssl_check=1&token=abc' });
    expect(res.statusCode).toBe(200);
  });

  test.each([
    ['payload that is not JSON', formBody('{"type": "block_actions", '), 'payload'],
    ['payload that is a JSON array', formBody('[1,2]'), 'payload'],
    ['no payload field', 'foo=bar', 'payload'],
    ['no user', formBody({ type: 'block_actions', actions: [{ action_id: 'x' }] }), 'payload.user.id'],
    ['block_actions without actions', formBody({ type: 'block_actions', user: { id: 'U1' }, actions: [] }), 'payload.actions'],
    ['an action without action_id', formBody({ type: 'block_actions', user: { id: 'U1' }, actions: [{ value: 'wf' }] }), 'payload.actions.0.action_id'],
    ['view_submission without a view', formBody({ type: 'view_submission', user: { id: 'U1' } }), 'payload.view.callback_id'],
  ])('a signed request with %s gets 400 naming the field', async (_name, body, field) => {
    const res = await app.inject(signedRequest(body, { timestamp: at }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_payload', field, message: expect.any(String) });
  });

  test('a body over 64 KiB gets 413 before any check', async () => {
    const big = formBody({ ...buttonClick({ actionId: 'signalroom:approval:approve', value: 'wf-1' }), padding: 'x'.repeat(70 * 1024) });
    const res = await app.inject(signedRequest(big, { timestamp: at }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'payload_too_large', message: expect.any(String) });
  });

  test('a JSON body gets 415', async () => {
    const res = await app.inject({ ...signedRequest('{}', { timestamp: at }), headers: { ...signedRequest('{}', { timestamp: at }).headers, 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toBe('unsupported_media_type');
  });

  test('refusals are counted by outcome in /metrics', async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/signalroom_slack_clicks_total\{outcome="rejected_signature"\} [1-9]/);
    expect(metrics).toMatch(/signalroom_slack_clicks_total\{outcome="malformed"\} [1-9]/);
  });
});

describe('signing secrets per Slack app', () => {
  const OTHER_SECRET = 'other-app-secret-0123456789abcdef';
  const apps = [
    { integrations: ['organization'], signingSecret: SECRET, appId: 'A0TEST', teamId: 'T0TEST' },
    { integrations: ['connector:payments'], signingSecret: OTHER_SECRET, appId: 'A0OTHER', teamId: 'T0OTHER' },
  ];
  const withApps = async (run: (app: Awaited<ReturnType<typeof buildServer>>) => Promise<void>) => {
    const app = await buildServer({
      temporal: await deadTemporalClient(),
      logger: false,
      metrics: { defaultMetrics: false },
      slackApps: apps,
      responseUrlBases: LOOPBACK_REPLIES,
      interactionRoutes: [],
      respondToClicker: async () => undefined,
    });
    try {
      await run(app);
    } finally {
      await app.close();
    }
  };

  test('the app a request claims chooses the one secret it is checked with', async () => {
    await withApps(async (app) => {
      const body = formBody(buttonClick({ actionId: 'signalroom:other:go', value: 'wf' }));
      expect((await app.inject(signedRequest(body))).statusCode).toBe(200);
      // Claiming the organization's app but signed with the other app's secret: refused, though that secret is configured.
      const forged = await app.inject(signedRequest(body, { secret: OTHER_SECRET }));
      expect(forged.statusCode).toBe(401);
      expect(forged.json()).toEqual({ error: 'invalid_signature', message: 'X-Slack-Signature does not match the body for the signing secret of organization' });
    });
  });

  test('a request from an app or workspace configured nowhere is refused as unknown', async () => {
    await withApps(async (app) => {
      const stranger = formBody({ ...buttonClick({ actionId: 'signalroom:other:go', value: 'wf' }), api_app_id: 'A0STRANGER' });
      const res = await app.inject(signedRequest(stranger));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'unknown_app', message: expect.stringContaining('app A0STRANGER') });
      const otherTeam = formBody({ ...buttonClick({ actionId: 'signalroom:other:go', value: 'wf' }), team: { id: 'T0ELSEWHERE' }, user: { id: 'U0X', team_id: 'T0ELSEWHERE' } });
      expect((await app.inject(signedRequest(otherTeam))).json().error).toBe('unknown_app');
    });
  });

  test("Slack's documented view_submission example (no api_app_id) from a configured workspace: the refusal says api_app_id is missing", async () => {
    // The modals guide's example submission names its workspace but no app.
    const documented = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/slack-payloads/view-submission.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    delete documented.api_app_id;
    documented.team.id = 'T0TEST';
    documented.user.team_id = 'T0TEST';
    await withApps(async (app) => {
      const res = await app.inject(signedRequest(formBody(documented)));
      expect(res.statusCode).toBe(401);
      const body = res.json() as { error: string; message: string };
      expect(body.error).toBe('missing_app_id');
      expect(body.message).toMatch(/no api_app_id/);
      expect(body.message).toContain('T0TEST');
      expect(body.message).not.toMatch(/not a Slack app configured here/);
    });
  });
});
