// A small receiver for Signalroom's approval callbacks (README, "Pipelines"):
// it verifies the signature, then resumes (or stops) what waits on the
// approval, in that tool's own API. Plain Node 20+, no dependencies:
//
//   SIGNALROOM_CALLBACK_SECRET=… node examples/callback-relay.mjs
//
// Routes (the callback URL a pipeline gives Signalroom):
//   POST /argo/<namespace>/<workflow>?node=<suspend node's displayName>
//     approved: PUT $ARGO_SERVER/api/v1/workflows/<namespace>/<workflow>/resume
//     otherwise: PUT $ARGO_SERVER/api/v1/workflows/<namespace>/<workflow>/stop
//     with Authorization: Bearer $ARGO_TOKEN
//   POST /jenkins/job/<name>[/job/<name>…]/<build>/input/<input id>
//     approved: POST $JENKINS_URL/job/…/<build>/input/<input id>/proceedEmpty
//     otherwise: POST $JENKINS_URL/job/…/<build>/input/<input id>/abort
//     with HTTP basic auth $JENKINS_USER:$JENKINS_API_TOKEN (an API token
//     needs no crumb; a password would)
//
// Answers: 200 once the tool took it (or when this delivery was already
// forwarded: Signalroom retries), 401 for a bad or stale signature, 404 for
// another path, 502 when the tool is down or answers 5xx (Signalroom tries
// again later), 422 when the tool refuses (Signalroom records a problem).
/* global process, console, Buffer, fetch, AbortSignal, URL */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const env = process.env;
const SECRET = env.SIGNALROOM_CALLBACK_SECRET;
if (!SECRET) {
  console.error('callback-relay: set SIGNALROOM_CALLBACK_SECRET (Signalroom\'s callbacks.signingSecret)');
  process.exit(64);
}
const TOLERANCE_SECONDS = 300;
const MAX_BODY = 64 * 1024;
const forwarded = new Set();

function verified(req, body) {
  const ts = Number(req.headers['x-signalroom-timestamp']);
  const given = String(req.headers['x-signalroom-signature'] ?? '');
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > TOLERANCE_SECONDS) return false;
  const expected = `v1=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** Where an outcome goes, from the callback's path; undefined for anything else. */
function targetOf(url, outcome) {
  let m = /^\/argo\/([a-z0-9][a-z0-9.-]{0,252})\/([a-z0-9][a-z0-9.-]{0,252})$/.exec(url.pathname);
  if (m && env.ARGO_SERVER) {
    const [, namespace, name] = m;
    const node = url.searchParams.get('node');
    const base = `${env.ARGO_SERVER.replace(/\/+$/, '')}/api/v1/workflows/${namespace}/${name}`;
    const token = env.ARGO_TOKEN ?? '';
    const headers = { 'content-type': 'application/json', ...(token ? { authorization: token.startsWith('Bearer ') ? token : `Bearer ${token}` } : {}) };
    return outcome.proceed
      ? { method: 'PUT', url: `${base}/resume`, headers, body: JSON.stringify({ namespace, name, ...(node ? { nodeFieldSelector: `displayName=${node}` } : {}) }) }
      : { method: 'PUT', url: `${base}/stop`, headers, body: JSON.stringify({ namespace, name, message: `Signalroom: ${outcome.status}` }) };
  }
  m = /^\/jenkins\/((?:job\/[A-Za-z0-9._%-]+\/)+\d+)\/input\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
  if (m && env.JENKINS_URL) {
    const [, build, id] = m;
    const auth = Buffer.from(`${env.JENKINS_USER ?? ''}:${env.JENKINS_API_TOKEN ?? ''}`).toString('base64');
    return { method: 'POST', url: `${env.JENKINS_URL.replace(/\/+$/, '')}/${build}/input/${id}/${outcome.proceed ? 'proceedEmpty' : 'abort'}`, headers: { authorization: `Basic ${auth}` } };
  }
  return undefined;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(c);
  });
  req.on('end', async () => {
    const answer = (status, message) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message }));
    };
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://relay');
    if (req.method !== 'POST') return answer(405, 'POST only');
    if (!verified(req, body)) return answer(401, 'bad or stale signature');
    let outcome;
    try {
      outcome = JSON.parse(body);
    } catch {
      return answer(400, 'not JSON');
    }
    const target = targetOf(url, outcome);
    if (!target) return answer(404, 'no such route (or its tool is not configured)');
    const delivery = `${req.headers['x-signalroom-delivery'] ?? outcome.approvalId} ${url.pathname}`;
    if (forwarded.has(delivery)) return answer(200, 'already forwarded');
    let told;
    try {
      told = await fetch(target.url, { method: target.method, headers: target.headers, body: target.body, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      return answer(502, `cannot reach ${new URL(target.url).host}: ${err.cause?.code ?? err.message}`);
    }
    if (told.status >= 500) return answer(502, `${new URL(target.url).host} answered HTTP ${told.status}`);
    // Jenkins answers a form post with a redirect to the build: taken.
    if (told.status >= 400) return answer(422, `${new URL(target.url).host} answered HTTP ${told.status}`);
    forwarded.add(delivery);
    console.log(`${outcome.approvalId}: ${outcome.status} → ${target.method} ${new URL(target.url).pathname}`);
    return answer(200, 'forwarded');
  });
});

server.listen(Number(env.PORT ?? 8787), env.HOST ?? '0.0.0.0', () => {
  const { address, port } = server.address();
  console.log(`callback-relay listening on http://${address}:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
