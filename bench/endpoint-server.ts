/**
 * Child process of the endpoint figure: serves POST /slack/interactions from
 * Signalroom's real server with a stubbed Temporal client (every signal
 * resolves at once), or the same path from a bare Fastify route. Listens on
 * loopback and reports its URL over IPC; the parent drives the load, so the
 * server has its process (and event loop) to itself.
 *
 * With a Temporal address, the real server against that Temporal (the
 * topology bench: the server under test in a process of its own).
 *
 * RESPONSE_URL_BASES (comma-separated) are where the clicks' `response_url`s
 * may point (Slack's, in production; the sandbox's or the bench's sink here).
 *
 * CLICK_BURST raises the per-person click throttle (DEFAULT_CLICK_RATE_LIMIT):
 * the benches click as one person many times a second, and must measure a
 * click delivered to the workflow, not a throttled one.
 *
 *   node bin/run-ts.js bench/endpoint-server.ts signalroom|bare SECRET [TEMPORAL_ADDRESS|-] [RESPONSE_URL_BASES|-] [CLICK_BURST]
 */
import Fastify from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { buildServer } from '../src/server/app';
import { featureInteractionRoutes } from '../src/server/features';
import { stubTemporalClient } from './stub-temporal';

async function main() {
  const [kind, secret, temporal, bases, burst] = process.argv.slice(2);
  const temporalAddress = temporal && temporal !== '-' ? temporal : undefined;
  const responseUrlBases = bases && bases !== '-' ? bases.split(',') : [];
  const clickRateLimit = burst ? { burst: Number(burst) } : undefined;
  let app;
  if (kind === 'signalroom') {
    const temporal = temporalAddress ? new Client({ connection: await Connection.connect({ address: temporalAddress }) }) : stubTemporalClient();
    app = await buildServer({ temporal, signingSecrets: [secret], responseUrlBases, clickRateLimit, interactionRoutes: featureInteractionRoutes(), logger: false });
  } else if (kind === 'bare') {
    app = Fastify({ logger: false });
    // The same raw-string form parser Slack's signature needs; the route answers 200 and does nothing else.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/slack/interactions', async (_request, reply) => reply.code(200).send());
  } else {
    throw new Error(`usage: endpoint-server.ts signalroom|bare SECRET (got ${kind})`);
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ url: address });
  process.on('message', (m) => {
    if (m === 'stop') void app.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
