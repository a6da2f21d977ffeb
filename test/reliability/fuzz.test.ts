/**
 * Bad input, generated: random and mutated bodies, headers, encodings and
 * sizes against /slack/interactions, /slack/commands and every /api/v1 route
 * the OpenAPI document lists; random and mutated runbook and config files.
 * Never a 5xx or a crash; an unsigned request never reaches a workflow.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { buildServer } from '../../src/server/app';
import { featureApiRoutes, featureInteractionRoutes } from '../../src/server/features';
import { computeSlackSignature } from '../../src/server/slack-signature';
import { markupIn } from '../../src/sandbox';
import { IncidentService } from '../../src/incidents/service';
import { parseRunbook } from '../../core/runbook/validate';
import { ConfigError, parseConfig } from '../../src/config/load';

const root = path.resolve(__dirname, '../..');
const SECRET = 'fuzz-signing-secret-0123456789abcdef';
const TOKEN = 'fuzz-api-token-0123456789abcdef';
const RUNS = Number(process.env.SIGNALROOM_FUZZ_RUNS ?? 150);

/** A Temporal client that records signals and knows no workflow: the server's every path without a cluster. */
function recordingClient() {
  const signals: unknown[] = [];
  const notFound = async () => {
    throw new WorkflowNotFoundError('not found', 'wf', undefined);
  };
  const handle = (workflowId: string) => ({
    workflowId,
    signal: async (...args: unknown[]) => {
      signals.push(args);
    },
    query: notFound,
    executeUpdate: notFound,
    describe: notFound,
    result: notFound,
    cancel: notFound,
    terminate: notFound,
    fetchHistory: notFound,
  });
  const client = {
    workflow: {
      getHandle: handle,
      start: async (_wf: unknown, opts: { workflowId: string }) => handle(opts.workflowId),
      signalWithStart: async (_wf: unknown, opts: { workflowId: string }) => handle(opts.workflowId),
      execute: notFound,
      list: async function* () {},
    },
    workflowService: { getSystemInfo: async () => ({}) },
    connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn(), close: async () => undefined },
    options: { namespace: 'default' },
  };
  return { client: client as unknown as Client, signals };
}

let app: FastifyInstance;
let signals: unknown[];

beforeAll(async () => {
  const rec = recordingClient();
  signals = rec.signals;
  app = await buildServer({
    temporal: rec.client,
    logger: false,
    signingSecrets: [SECRET],
    responseUrlBases: ['http://127.0.0.1:'],
    interactionRoutes: featureInteractionRoutes(),
    apiTokens: [{ name: 'fuzz', token: TOKEN, permissions: ['*'] }],
    apiRoutes: featureApiRoutes({ temporal: rec.client, taskQueue: 'fuzz', runbookDirs: [path.join(root, 'runbooks')] }),
    slashCommands: { incidents: new IncidentService(rec.client, 'fuzz', [path.join(root, 'runbooks')]), lookupBudgetMs: 100 },
    delivery: { ackWindowMs: 50, retryForMs: 100 } as never,
    respondToClicker: async () => undefined,
  });
});
afterAll(() => app.close());

const contentTypes = fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=utf-16', undefined);
const bodies = fc.oneof(
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: 'binary', maxLength: 2000 }),
  fc.json({ maxDepth: 4 }),
  fc.json({ maxDepth: 3 }).map((j) => `payload=${encodeURIComponent(j)}`),
  fc.nat({ max: 200_000 }).map((n) => 'x'.repeat(n)),
);

function validClick(): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: 'U0CAROL', name: 'carol', team_id: 'T0SANDBOX' },
    team: { id: 'T0SANDBOX' },
    api_app_id: 'A0SIGNALRM',
    channel: { id: 'C0DEPLOYS' },
    container: { message_ts: '1700000000.000100', channel_id: 'C0DEPLOYS' },
    response_url: 'http://127.0.0.1:9/response',
    trigger_id: '1.2.3',
    actions: [{ action_id: 'signalroom:approval:approve', value: 'approval-api-prod-1', action_ts: '1700000001.1' }],
  };
}

/** Replaces, deletes or retypes one field somewhere in the payload. */
const mutatedClick = fc
  .tuple(fc.constantFrom('type', 'user', 'user.id', 'actions', 'actions.0', 'actions.0.action_id', 'actions.0.value', 'response_url', 'trigger_id', 'api_app_id', 'container', 'view'), fc.oneof(fc.constant(undefined), fc.jsonValue()))
  .map(([field, value]) => {
    const payload = validClick();
    const keys = field.split('.');
    let target: Record<string, unknown> = payload;
    for (const k of keys.slice(0, -1)) target = (target[k] ?? {}) as Record<string, unknown>;
    if (value === undefined) delete target[keys[keys.length - 1]];
    else target[keys[keys.length - 1]] = value;
    return payload;
  });

function signedHeaders(body: string, contentType?: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    ...(contentType ? { 'content-type': contentType } : {}),
    'x-slack-request-timestamp': ts,
    'x-slack-signature': computeSlackSignature(SECRET, ts, body),
  };
}

describe('POST /slack/interactions and /slack/commands', () => {
  test('random bodies, headers and encodings: never a 5xx, and unsigned ones never signal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/slack/interactions', '/slack/commands'), bodies, contentTypes, fc.boolean(), fc.dictionary(fc.constantFrom('x-slack-signature', 'x-slack-request-timestamp', 'x-slack-retry-num'), fc.string({ maxLength: 80 })), async (url, body, contentType, sign, extra) => {
        const before = signals.length;
        const headers = sign ? { ...signedHeaders(body, contentType), ...extra } : { ...(contentType ? { 'content-type': contentType } : {}), ...extra };
        const res = await app.inject({ method: 'POST', url, headers, payload: body });
        expect(res.statusCode).toBeLessThan(500);
        if (!sign) expect(signals.length).toBe(before);
      }),
      { numRuns: RUNS },
    );
  });

  test('signed payloads with one field broken: a 4xx naming the field, or handled; never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedClick, async (payload) => {
        const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
        const res = await app.inject({ method: 'POST', url: '/slack/interactions', headers: signedHeaders(body, 'application/x-www-form-urlencoded'), payload: body });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) expect(res.json().message).toEqual(expect.any(String));
      }),
      { numRuns: RUNS },
    );
  });

  test('any /signalroom text, signed: a 200 whose reply carries no mention or link from the text; never a 5xx', async () => {
    const word = fc.oneof(
      fc.constantFrom('incident', 'approvals', 'help', 'open', 'update', 'severity', 'resolve', 'status', 'task', 'add', 'done', 'list', 'seed-example', 'INC-1', '#1', '1'),
      fc.constantFrom('<!here>', '<!channel>', '<!subteam^S123>', '<@U0CAROL>', '<https://evil.example|status>', '<!here>INC-1', '&', '*b*'),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 8 }), async (words) => {
        const body = new URLSearchParams({ command: '/signalroom', text: words.join(' '), user_id: 'U0ERIN', team_id: 'T0SANDBOX', response_url: 'http://127.0.0.1:9/x' }).toString();
        const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: signedHeaders(body, 'application/x-www-form-urlencoded'), payload: body });
        expect(res.statusCode).toBe(200);
        const reply: unknown = res.json().text;
        expect(typeof reply).toBe('string');
        expect(markupIn(reply as string)).toEqual({ mentions: [], labelledLinks: [] });
      }),
      { numRuns: RUNS },
    );
  });

  test('a replayed request (same signature, old timestamp) is refused', async () => {
    const body = new URLSearchParams({ payload: JSON.stringify(validClick()) }).toString();
    const old = String(Math.floor(Date.now() / 1000) - 6 * 60);
    const res = await app.inject({
      method: 'POST',
      url: '/slack/interactions',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': old, 'x-slack-signature': computeSlackSignature(SECRET, old, body) },
      payload: body,
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('/api/v1', () => {
  test('every documented route, random bodies and path values: never a 5xx', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path: p })));
    expect(routes.length).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.string({ maxLength: 40 }), fc.oneof(fc.jsonValue(), fc.string({ maxLength: 500 })), fc.boolean(), async (route, param, body, withToken) => {
        const prefixed = route.path.startsWith('/api/v1') ? route.path : `/api/v1${route.path}`;
        const url = prefixed.replace(/\{[^}]+\}/g, encodeURIComponent(param) || 'x');
        const res = await app.inject({
          method: route.method as 'GET',
          url,
          headers: { ...(withToken ? { authorization: `Bearer ${TOKEN}` } : {}), 'content-type': 'application/json' },
          payload: route.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        expect(res.statusCode).toBeLessThan(500);
        if (!withToken && !url.endsWith('/openapi.json')) expect(res.statusCode).toBe(401);
      }),
      // Every run also tries each route with `.` and `..` as its path value: a random run found `runbooks/./runs`, which no route matches.
      { numRuns: RUNS, examples: routes.flatMap((route) => ['.', '..'].map((param): [typeof route, string, string, boolean] => [route, param, '', false])) },
    );
  });
});

describe('runbook and config files', () => {
  const examples = [
    ...readdirSync(path.join(root, 'runbooks')).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(path.join(root, 'runbooks', f), 'utf8')),
    ...readdirSync(path.join(root, 'test/fixtures/runbooks/broken')).map((f) => readFileSync(path.join(root, 'test/fixtures/runbooks/broken', f), 'utf8')),
  ];
  /** Deletes, duplicates or garbles one span of a real file. */
  const mutated = (texts: string[]) =>
    fc.tuple(fc.constantFrom(...texts), fc.nat(), fc.nat({ max: 40 }), fc.constantFrom('delete', 'duplicate', 'garble', 'indent'), fc.string({ maxLength: 12 })).map(([text, at, len, how, junk]) => {
      const i = at % Math.max(1, text.length);
      const span = text.slice(i, i + len);
      if (how === 'delete') return text.slice(0, i) + text.slice(i + len);
      if (how === 'duplicate') return text.slice(0, i) + span + span + text.slice(i + len);
      if (how === 'indent') return text.slice(0, i) + '   ' + text.slice(i);
      return text.slice(0, i) + junk + text.slice(i + len);
    });

  test('a runbook either parses or reports problems with positions; it never throws', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(examples), fc.string({ maxLength: 500 })), (text) => {
        const result = parseRunbook(text, 'fuzz.yaml');
        if (!result.runbook) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) {
            expect(p.line).toBeGreaterThanOrEqual(0);
            expect(p.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });

  test('a config file either loads or raises ConfigError with file, line and field', () => {
    const configs = [readFileSync(path.join(root, 'deploy/signalroom.yaml'), 'utf8'), readFileSync(path.join(root, 'README.md'), 'utf8').split('```yaml')[1].split('```')[0]];
    fc.assert(
      fc.property(fc.oneof(mutated(configs), fc.string({ maxLength: 300 })), (text) => {
        try {
          parseConfig(text, 'signalroom.yaml', { SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 'y' });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          for (const p of (err as ConfigError).problems) {
            expect(p.file).toBe('signalroom.yaml');
            expect(p.field.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: RUNS * 4 },
    );
  });
});
