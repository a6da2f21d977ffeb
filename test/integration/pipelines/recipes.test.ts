/**
 * The README's recipes for Argo Workflows and Jenkins (README, "Pipelines"):
 * a callback goes to examples/callback-relay.mjs, which verifies the
 * signature and calls the tool's own API. The tools are played here by
 * stand-ins on 127.0.0.1 that check the HTTP contract the recipes document
 * (method, path, authentication, body); no real Argo or Jenkins runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { API_TOKEN, APPROVER_GROUPS, CHANNEL, card, eventually, uniqueExecution } from '../../support/approvals';
import { callbackReceiver, type Received, type Receiver } from '../../support/callback-receiver';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { signCallback } from '../../../src/callbacks/signature';

const ROOT = path.resolve(__dirname, '../../..');
const SECRET = 'callback-signing-secret-0123456789';
const ARGO_TOKEN = 'argo-service-account-token-0123';
const JENKINS = { user: 'signalroom', token: 'jenkins-api-token-0123456789' };

/** Argo Server: PUT /api/v1/workflows/{namespace}/{name}/resume|stop, a bearer token, a JSON body naming the workflow. */
function argoContract(r: Received) {
  const m = /^\/api\/v1\/workflows\/([^/]+)\/([^/]+)\/(resume|stop)$/.exec(r.path);
  if (r.method !== 'PUT' || !m) return { status: 404, body: '{"code":5,"message":"Not Found"}' };
  if (r.headers.authorization !== `Bearer ${ARGO_TOKEN}`) return { status: 401, body: '{"code":16,"message":"token not valid"}' };
  const body = JSON.parse(r.body) as { namespace?: string; name?: string };
  if (body.namespace !== m[1] || body.name !== m[2]) return { status: 400, body: '{"code":3}' };
  return { status: 200, body: JSON.stringify({ metadata: { name: m[2], namespace: m[1] } }) };
}

/** Jenkins: POST …/job/<name>/<build>/input/<id>/proceedEmpty|abort with an API token (basic auth: no crumb needed). */
function jenkinsContract(r: Received) {
  if (r.method !== 'POST' || !/^(\/job\/[^/]+)+\/\d+\/input\/[A-Za-z0-9_-]+\/(proceedEmpty|abort)$/.test(r.path)) return { status: 404 };
  if (r.headers.authorization !== `Basic ${Buffer.from(`${JENKINS.user}:${JENKINS.token}`).toString('base64')}`) return { status: 403 };
  // A form post is answered with a redirect to the build.
  return { status: 302 };
}

let s: ServerStack;
let argo: Receiver;
let jenkins: Receiver;
let relay: ChildProcess;
let relayUrl: string;

beforeAll(async () => {
  argo = await callbackReceiver(argoContract);
  jenkins = await callbackReceiver(jenkinsContract);
  relay = spawn(process.execPath, [path.join(ROOT, 'examples/callback-relay.mjs')], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', SIGNALROOM_CALLBACK_SECRET: SECRET, ARGO_SERVER: argo.url, ARGO_TOKEN, JENKINS_URL: `${jenkins.url}/`, JENKINS_USER: JENKINS.user, JENKINS_API_TOKEN: JENKINS.token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  relayUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    relay.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    relay.on('exit', (code) => reject(new Error(`the relay exited ${code}`)));
  });
  s = await serverStack(() => ({
    approverGroups: APPROVER_GROUPS,
    callbacks: { signingSecret: SECRET },
    // The relay runs beside the pipeline, on an internal host: named as a user would.
    outbound: { privateHosts: [new URL(relayUrl).host] },
    api: { tokens: [{ name: 'ci', token: API_TOKEN, permissions: ['approvals:write', 'approvals:read', 'approvals:decide', 'approvals:decide-as-anyone'] }] },
  }));
});
afterAll(async () => {
  await s?.close();
  relay?.kill();
  await argo?.close();
  await jenkins?.close();
});

async function decide(callback: string, verb: 'approve' | 'reject') {
  const execution = uniqueExecution('recipe');
  const created = await s.api('POST', '/approvals', API_TOKEN, { pipeline: 'deploy', stage: 'production', execution, approverGroups: ['release'], channel: CHANNEL, timeout: '10m', callback });
  expect(created.status).toBe(201);
  const id = encodeURIComponent(String(created.body.id));
  await eventually('the card', () => card(s.sandbox, execution));
  await s.api('POST', `/approvals/${id}/decisions`, API_TOKEN, { verb, user: 'U0CAROL', ...(verb === 'reject' ? { reason: 'not now' } : {}) });
  const final = await s.api('GET', `/approvals/${id}/wait?timeout=60s`, API_TOKEN);
  expect(final.body.problems).toBeUndefined();
  return final.body;
}

test('Argo Workflows: approved resumes the suspend node through the Argo Server API', async () => {
  const final = await decide(`${relayUrl}/argo/argo/deploy-x7k2p?node=wait-for-approval`, 'approve');
  expect(final.status).toBe('approved');
  const calls = argo.received.filter((r) => r.path.includes('deploy-x7k2p'));
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({ method: 'PUT', path: '/api/v1/workflows/argo/deploy-x7k2p/resume' });
  expect(JSON.parse(calls[0]!.body)).toEqual({ namespace: 'argo', name: 'deploy-x7k2p', nodeFieldSelector: 'displayName=wait-for-approval' });
});

test('Argo Workflows: rejected stops the workflow, saying why', async () => {
  await decide(`${relayUrl}/argo/argo/deploy-q9m4t?node=wait-for-approval`, 'reject');
  const calls = argo.received.filter((r) => r.path.includes('deploy-q9m4t'));
  expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['PUT /api/v1/workflows/argo/deploy-q9m4t/stop']);
  expect(JSON.parse(calls[0]!.body)).toEqual({ namespace: 'argo', name: 'deploy-q9m4t', message: 'Signalroom: rejected' });
});

test("Jenkins: approved proceeds the build's input step; rejected aborts it", async () => {
  await decide(`${relayUrl}/jenkins/job/platform/job/deploy/42/input/Signalroom`, 'approve');
  await decide(`${relayUrl}/jenkins/job/platform/job/deploy/43/input/Signalroom`, 'reject');
  expect(jenkins.received.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /job/platform/job/deploy/42/input/Signalroom/proceedEmpty', 'POST /job/platform/job/deploy/43/input/Signalroom/abort']);
});

test('the relay refuses an unsigned or forged callback, and calls nothing', async () => {
  const before = argo.received.length;
  const body = JSON.stringify({ event: 'approval.decided', approvalId: 'approval:deploy:production:forged', status: 'approved', proceed: true });
  const ts = Math.floor(Date.now() / 1000);
  const post = (headers: Record<string, string>) => fetch(`${relayUrl}/argo/argo/deploy-forged`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  expect((await post({})).status).toBe(401);
  expect((await post({ 'x-signalroom-timestamp': String(ts), 'x-signalroom-signature': signCallback('not-the-secret-0123456789', ts, body) })).status).toBe(401);
  expect((await post({ 'x-signalroom-timestamp': String(ts - 3600), 'x-signalroom-signature': signCallback(SECRET, ts - 3600, body) })).status).toBe(401);
  expect(argo.received.length).toBe(before);
});
