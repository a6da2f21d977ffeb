/**
 * Helpers for the server tests: signed Slack requests, a client whose
 * Temporal is down, and a local stand-in for Slack's response_url.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { buildServer, type ServerDeps } from '../../src/server/app';
import { featureApiRoutes } from '../../src/server/features';
import { computeSlackSignature } from '../../src/server/slack-signature';
import { freePort } from '../../src/temporal/free-port';
import { eventually } from './eventually';

export const SECRET = 'test-signing-secret-0123456789abcdef';

export function formBody(payload: unknown): string {
  return new URLSearchParams({ payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }).toString();
}

/** inject() options for a POST to /slack/interactions, signed like Slack signs. */
export function signedRequest(body: string, options: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return {
    method: 'POST' as const,
    url: '/slack/interactions',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': computeSlackSignature(options.secret ?? SECRET, ts, body),
      ...options.headers,
    },
    payload: body,
  };
}

/**
 * Test servers here answer clickers on loopback stand-ins for Slack's
 * response_url, so they allow it; every real server allows only Slack's hosts
 * and the sandbox's (see test/integration/security/ssrf-response-url.test.ts).
 */
export const LOOPBACK_REPLIES = ['http://127.0.0.1:'];

export function buttonClick(options: { actionId: string; value?: string; responseUrl?: string; user?: string; actionTs?: string }) {
  return {
    type: 'block_actions',
    api_app_id: 'A0TEST',
    team: { id: 'T0TEST', domain: 'test' },
    user: { id: options.user ?? 'U0CLICKER', username: 'clicker', name: 'clicker', team_id: 'T0TEST' },
    channel: { id: 'C0DEPLOYS', name: 'deploys' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0DEPLOYS' },
    trigger_id: '1234.5678.abcd',
    response_url: options.responseUrl ?? 'http://127.0.0.1:9/unused',
    actions: [{ type: 'button', action_id: options.actionId, block_id: 'b1', value: options.value, action_ts: options.actionTs ?? `${Date.now() / 1000}` }],
  };
}

/** A Temporal client whose server does not exist: every call fails as if Temporal were down. */
export async function deadTemporalClient(): Promise<Client> {
  const port = await freePort();
  return new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}`, connectTimeout: 500 }) });
}

/**
 * A server with every feature's API routes whose Temporal is down: what the
 * server answers before any workflow is reached (tokens, limits, paths).
 * `options` are the server's own, over these.
 */
export async function serverWithoutTemporal(options: Partial<ServerDeps>): Promise<FastifyInstance> {
  const temporal = await deadTemporalClient();
  return buildServer({
    temporal,
    logger: false,
    metrics: { defaultMetrics: false },
    apiRoutes: featureApiRoutes({ temporal, taskQueue: 'no-worker', runbookDirs: [path.resolve(__dirname, '../../runbooks')] }),
    ...options,
  });
}

export interface ResponseUrlReceiver {
  url: string;
  received: Array<{ path: string; body: Record<string, unknown> }>;
  /** Resolves once `count` answers have arrived; fails naming what it waited for when they do not. */
  waitFor(count: number): Promise<Array<{ path: string; body: Record<string, unknown> }>>;
  close(): Promise<void>;
}

/** Stands in for Slack's response_url endpoint on loopback. */
export async function responseUrlReceiver(): Promise<ResponseUrlReceiver> {
  const received: ResponseUrlReceiver['received'] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '/', body: JSON.parse(data || '{}') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    waitFor: (count) => eventually(`${count} answer(s) at the response_url`, () => received.length >= count && received, 20_000, 20),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
