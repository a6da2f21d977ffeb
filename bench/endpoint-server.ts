/**
 * Child process of the endpoint figure: serves POST /slack/interactions from
 * Signalroom's real server with a stubbed Temporal client (every signal
 * resolves at once), or the same path from a bare Fastify route. Listens on
 * loopback and reports its URL over IPC; the parent drives the load, so the
 * server has its process (and event loop) to itself.
 *
 * `bolt`: the same path from a Bolt app (`@slack/bolt`) as its documentation
 * starts one for HTTP mode: `new App({ token, signingSecret })`, which serves
 * through Bolt's default receiver, HTTPReceiver (node:http, no Express), with
 * signature verification on. `botId` and `botUserId` are given with the token,
 * so Bolt never calls `auth.test`; its one listener acknowledges the Approve
 * button and does nothing else.
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
 * LOGS `info`: Signalroom's server logs as `signalroom server` does (JSON
 * lines at info on stdout, its serializers and redaction; start the process
 * with its stdout on /dev/null); `-` or absent: no logger.
 *
 *   node bin/run-ts.js bench/endpoint-server.ts signalroom|bare|bolt SECRET [TEMPORAL_ADDRESS|-] [RESPONSE_URL_BASES|-] [CLICK_BURST] [LOGS]
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { App as BoltApp } from '@slack/bolt';
import { Client, Connection } from '@temporalio/client';
import { buildServer } from '../src/server/app';
import { featureInteractionRoutes } from '../src/server/features';
import { stubTemporalClient } from './stub-temporal';
import { APPROVE_ACTION } from '../core/slack/blocks/approval-card';
import { INTERACTIONS_PATH } from '../src/server/slack-interactions';

/**
 * Serves until the parent says stop (or goes away). Asked `{ op: 'cpu' }`, answers
 * with the CPU time the process has used (all its threads, in µs): the
 * bench divides it by the requests of a slice, a cost per request that other
 * work on the machine moves far less than requests/s.
 */
function serveUntilStopped(url: string, close: () => Promise<unknown>): void {
  process.send?.({ url });
  process.on('message', (m: unknown) => {
    if (m === 'stop') void close().then(() => process.exit(0));
    const { op, id } = (m ?? {}) as { op?: string; id?: number };
    if (op === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ id, cpuMicros: user + system });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

async function main() {
  const [kind, secret, temporal, bases, burst, logs] = process.argv.slice(2);
  const temporalAddress = temporal && temporal !== '-' ? temporal : undefined;
  const responseUrlBases = bases && bases !== '-' ? bases.split(',') : [];
  const clickRateLimit = burst ? { burst: Number(burst) } : undefined;
  if (kind === 'bolt') {
    // Bolt's endpoint is /slack/events unless told; the same path as the others keeps the load loop one.
    const bolt = new BoltApp({ signingSecret: secret, token: 'xoxb-bench-not-a-token', botId: 'B0BENCHBOT', botUserId: 'U0BENCHBOT', endpoints: INTERACTIONS_PATH });
    bolt.action(APPROVE_ACTION, async ({ ack }) => {
      await ack();
    });
    const server = (await bolt.start({ host: '127.0.0.1', port: 0 })) as { address(): AddressInfo | string | null };
    const { port } = server.address() as AddressInfo;
    return serveUntilStopped(`http://127.0.0.1:${port}`, () => bolt.stop());
  }
  let app;
  if (kind === 'signalroom') {
    const temporal = temporalAddress ? new Client({ connection: await Connection.connect({ address: temporalAddress }) }) : stubTemporalClient();
    app = await buildServer({ temporal, signingSecrets: [secret], responseUrlBases, clickRateLimit, interactionRoutes: featureInteractionRoutes(), logger: logs === 'info' ? { level: 'info' } : false });
  } else if (kind === 'bare') {
    app = Fastify({ logger: false });
    // The same raw-string form parser Slack's signature needs; the route answers 200 and does nothing else.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/slack/interactions', async (_request, reply) => reply.code(200).send());
  } else {
    throw new Error(`usage: endpoint-server.ts signalroom|bare|bolt SECRET (got ${kind})`);
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  serveUntilStopped(address, () => app.close());
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
