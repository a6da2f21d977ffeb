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
 * `checks`: what no design of the endpoint can leave out, on plain node:http
 * with no framework: Signalroom's own functions read the form, verify the
 * signature (the app from its claims), check the payload and its
 * `response_url`, seal that, and one JSON line is logged with the logger
 * every Signalroom process uses (src/logging.ts). None of the rest of the
 * click path: no Fastify, no de-duplication or throttles, no route, no
 * delivery or its ack window, no metrics. A reference for the figure, not a
 * server anyone could run (bench/README.md, Findings).
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
 *   node bin/run-ts.js bench/endpoint-server.ts signalroom|bare|bolt|checks SECRET [TEMPORAL_ADDRESS|-] [RESPONSE_URL_BASES|-] [CLICK_BURST] [LOGS]
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { App as BoltApp } from '@slack/bolt';
import { Client, Connection } from '@temporalio/client';
import { buildServer } from '../src/server/app';
import { featureInteractionRoutes } from '../src/server/features';
import { stubTemporalClient } from './stub-temporal';
import { APPROVE_ACTION } from '../core/slack/blocks/approval-card';
import { INTERACTIONS_PATH, parseInteractionPayload } from '../src/server/slack-interactions';
import { claimsOf, readSlackForm, verifySlackRequest } from '../src/server/slack-request';
import { groupBySecret, ORGANIZATION } from '../src/slack/integrations';
import { responseUrlProblem } from '../src/slack/response-url';
import { createLogger } from '../src/logging';

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
  if (kind === 'checks') {
    const server = checksServer(secret, responseUrlBases, logs === 'info');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return serveUntilStopped(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(resolve)));
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
    throw new Error(`usage: endpoint-server.ts signalroom|bare|bolt|checks SECRET (got ${kind})`);
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  serveUntilStopped(address, () => app.close());
}

/** The `checks` server: see the header. Answers 401 or 400 as Signalroom's server would, else 200. */
function checksServer(secret: string, responseUrlBases: readonly string[], logging: boolean): http.Server {
  const apps = groupBySecret([{ integration: ORGANIZATION, signingSecret: secret }]);
  const log = logging ? createLogger() : undefined;
  return http.createServer((req, res) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const form = readSlackForm(rawBody);
      const verified = verifySlackRequest({ rawBody, signature: req.headers['x-slack-signature'] as string | undefined, timestamp: req.headers['x-slack-request-timestamp'] as string | undefined, apps, claims: claimsOf(form), nowMs: Date.now() });
      const parsed = parseInteractionPayload(form.payload);
      const responseUrl = parsed.ok ? parsed.payload.response_url : undefined;
      const status = !verified.ok ? 401 : !parsed.ok || !responseUrl || responseUrlProblem(responseUrl, responseUrlBases) ? 400 : 200;
      if (verified.ok && status === 200) verified.app.seal(responseUrl!);
      res.statusCode = status;
      res.end();
      const workflowId = parsed.ok ? parsed.payload.actions?.[0]?.value : undefined;
      log?.info({ req: { method: req.method, url: req.url, remoteAddress: req.socket.remoteAddress, remotePort: req.socket.remotePort }, res: { statusCode: status }, responseTime: performance.now() - started, workflowId, outcome: 'delivered' }, 'request completed');
    });
  });
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
