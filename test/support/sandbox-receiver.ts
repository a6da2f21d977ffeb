/**
 * A stand-in app for interactivity tests: a Fastify server at the Request URL
 * that checks Slack's v0 signature, records payloads and answers the way a
 * test tells it to.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { signRequest } from '../../src/sandbox';

export interface Received {
  payload: Record<string, unknown>;
  signatureValid: boolean;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What the app does with each payload; the return value is the HTTP body. */
  onPayload: (payload: Record<string, unknown>) => Promise<unknown> | unknown;
  close(): Promise<void>;
}

export async function startReceiver(signingSecret: string): Promise<Receiver> {
  const app: FastifyInstance = Fastify();
  let rawBody = '';
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    rawBody = body as string;
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const receiver: Receiver = {
    url: '',
    received: [],
    onPayload: () => '',
    close: () => app.close(),
  };
  app.post('/slack/interactions', async (req, reply) => {
    const ts = Number(req.headers['x-slack-request-timestamp']);
    const expected = Buffer.from(signRequest(signingSecret, ts, rawBody));
    const got = Buffer.from(String(req.headers['x-slack-signature'] ?? ''));
    const signatureValid = expected.length === got.length && timingSafeEqual(expected, got);
    const payload = JSON.parse((req.body as { payload: string }).payload);
    receiver.received.push({ payload, signatureValid });
    if (!signatureValid) return reply.code(401).send('bad signature');
    const body = await receiver.onPayload(payload);
    return reply.code(200).send(body ?? '');
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address() as { port: number };
  receiver.url = `http://127.0.0.1:${addr.port}/slack/interactions`;
  return receiver;
}
