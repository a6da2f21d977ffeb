import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { buildServer, type ServerDeps } from '../../../src/server/app';
import { testClient } from '../../support/temporal';
import { buttonClick, deadTemporalClient, formBody, LOOPBACK_REPLIES, SECRET, signedRequest } from '../../support/server';
import { featureInteractionRoutes } from '../../../src/server/features';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';

let client: Client;
beforeAll(async () => {
  client = await testClient();
});
afterAll(() => client.connection.close());

async function withServer<R>(deps: Partial<ServerDeps>, fn: (app: FastifyInstance) => Promise<R>): Promise<R> {
  const app = await buildServer({ temporal: client, logger: false, metrics: { defaultMetrics: false }, ...deps });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

describe('health', () => {
  test('/healthz answers while the process is up, even with Temporal down', async () => {
    await withServer({ temporal: await deadTemporalClient() }, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });
  });

  test('/readyz is ready when Temporal answers and the configuration is loaded', async () => {
    await withServer({ readinessChecks: { config: () => 'loaded from signalroom.yaml' } }, async (app) => {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ready', temporal: 'reachable', config: 'loaded from signalroom.yaml' });
    });
  });

  test('/readyz is 503 naming what is not ready, without the detail (a path, an address) a stranger could read', async () => {
    await withServer(
      {
        temporal: await deadTemporalClient(),
        readinessChecks: {
          config: () => {
            throw new Error('signalroom.yaml:3:5 api.tokens.0.token: too short');
          },
        },
      },
      async (app) => {
        const res = await app.inject({ method: 'GET', url: '/readyz' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({
          status: 'not_ready',
          temporal: 'unreachable',
          config: 'not ready',
        });
        expect(res.body).not.toContain('signalroom.yaml');
        expect(res.body).not.toContain('127.0.0.1');
      },
    );
  });
});

describe('metrics and logs', () => {
  test('/metrics exposes HTTP latency by route and status, and clicks by outcome', async () => {
    await withServer({ signingSecrets: [SECRET], responseUrlBases: LOOPBACK_REPLIES }, async (app) => {
      await app.inject({ method: 'GET', url: '/healthz' });
      await app.inject({ method: 'GET', url: '/nowhere' });
      await app.inject({ ...signedRequest('payload=%7B%7D'), headers: { ...signedRequest('payload=%7B%7D').headers, 'x-slack-signature': 'v0=00' } });
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.body).toMatch(/signalroom_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1/);
      expect(res.body).toMatch(/signalroom_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/);
      expect(res.body).toMatch(/signalroom_http_request_duration_seconds_count\{method="POST",route="\/slack\/interactions",status_code="401"\} 1/);
      for (const outcome of ['delivered', 'delivered_late', 'undeliverable', 'workflow_finished', 'rejected_signature', 'malformed']) {
        expect(res.body).toContain(`signalroom_slack_clicks_total{outcome="${outcome}"}`);
      }
      expect(res.body).toContain('signalroom_slack_clicks_total{outcome="rejected_signature"} 1');
    });
  });

  test('every answer carries a request id; logs carry it and never a signature or token', async () => {
    const lines: string[] = [];
    const logger = { level: 'debug', stream: { write: (l: string) => lines.push(l) } };
    await withServer({ logger, signingSecrets: [SECRET], responseUrlBases: LOOPBACK_REPLIES }, async (app) => {
      app.log.info({ headers: { authorization: 'Bearer leaked-token-123' }, integration: { token: 'xoxb-leaked', signingSecret: 'leaked-secret' } }, 'a careless log line');
      const request = signedRequest(formBody(buttonClick({ actionId: 'signalroom:none:go', value: 'wf' })));
      const res = await app.inject(request);
      expect(res.statusCode).toBe(200);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const all = lines.join('');
      expect(all).toContain(`"reqId":"${id}"`);
      for (const secret of ['leaked-token-123', 'xoxb-leaked', 'leaked-secret', SECRET, request.headers['x-slack-signature']]) expect(all).not.toContain(secret);
    });
  });

  test('a click is logged in one line, when answered: who sent it, the answer, and what became of it', async () => {
    const lines: string[] = [];
    const logger = { level: 'info', stream: { write: (l: string) => lines.push(l) } };
    const deps = { logger, signingSecrets: [SECRET], responseUrlBases: LOOPBACK_REPLIES, interactionRoutes: featureInteractionRoutes(), respondToClicker: async () => undefined };
    await withServer(deps, async (app) => {
      const workflowId = `approval:gone:${Date.now().toString(36)}`;
      const click = await app.inject(signedRequest(formBody(buttonClick({ actionId: APPROVE_ACTION, value: workflowId }))));
      const other = await app.inject({ method: 'GET', url: '/nowhere' });
      const linesOf = (id: unknown) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === id);
      // The run does not exist: the click is answered, and its one line says so.
      expect(click.statusCode).toBe(200);
      expect(linesOf(click.headers['x-request-id'])).toEqual([
        expect.objectContaining({
          msg: 'request completed',
          req: expect.objectContaining({ method: 'POST', url: '/slack/interactions', remoteAddress: '127.0.0.1' }),
          res: { statusCode: 200 },
          responseTime: expect.any(Number),
          route: 'feature:approval',
          workflowId,
          outcome: 'workflow_finished',
        }),
      ]);
      // Every other route is logged as Fastify logs it: when it comes in, and when it is answered.
      expect(linesOf(other.headers['x-request-id']).map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    });
  });

  test('a refused click is logged with why it was refused', async () => {
    const lines: string[] = [];
    const logger = { level: 'info', stream: { write: (l: string) => lines.push(l) } };
    await withServer({ logger, signingSecrets: [SECRET], responseUrlBases: LOOPBACK_REPLIES }, async (app) => {
      const forged = await app.inject(signedRequest(formBody(buttonClick({ actionId: APPROVE_ACTION, value: 'wf' })), { secret: 'not-the-secret' }));
      const malformed = await app.inject(signedRequest(formBody({ type: 'block_actions', user: { id: 'U1' }, actions: [] })));
      const of = (res: { headers: Record<string, unknown> }) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.reqId === res.headers['x-request-id']);
      expect(forged.statusCode).toBe(401);
      expect(of(forged)).toEqual([
        expect.objectContaining({ msg: 'Slack request refused', problem: 'invalid_signature' }),
        expect.objectContaining({ msg: 'request completed', res: { statusCode: 401 } }),
      ]);
      expect(malformed.statusCode).toBe(400);
      expect(of(malformed)).toEqual([expect.objectContaining({ msg: 'request completed', res: { statusCode: 400 }, error: 'malformed_payload', field: 'payload.actions' })]);
    });
  });
});

test('graceful shutdown finishes the requests in flight', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const app = await buildServer({
    temporal: client,
    logger: false,
    metrics: { defaultMetrics: false },
    apiTokens: [{ name: 'ci', token: 'ci-token-0123456789abcdef', permissions: ['*'] }],
    apiRoutes: [
      async (api) => {
        api.get('/slow', async () => {
          entered();
          await gate;
          return { finished: true };
        });
      },
    ],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/slow`, { headers: { authorization: 'Bearer ci-token-0123456789abcdef' } });
  await inside;
  const closed = app.close();
  release();
  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ finished: true });
  await closed;
});
