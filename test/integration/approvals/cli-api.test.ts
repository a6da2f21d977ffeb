/**
 * The CLI through the HTTP API (`--api URL --token T`): what a pipeline runs
 * when it can reach the Signalroom server but not Temporal.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { buildServer } from '../../../src/server/app';
import { featureApiRoutes } from '../../../src/server/features';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { rememberSecrets, slackHarness, type SlackHarness } from '../../support/slack';
import { eventually } from '../../support/eventually';

const exec = promisify(execFile);
const bin = path.resolve(__dirname, '../../../bin/signalroom.js');
const TOKEN = 'cli-api-token-0123456789abcdef';

let h: SlackHarness;
let client: Client;
let w: RunningWorker;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] } } });
  rememberSecrets(TOKEN);
  w = await runningWorker({ activityDeps: { integrations: h.integrations } });
  client = w.client;
  app = await buildServer({
    temporal: client,
    logger: false,
    apiTokens: [{ name: 'ci', token: TOKEN, permissions: ['*'] }],
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: w.taskQueue }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await w.stop();
  await h.close();
});

// No TEMPORAL_ADDRESS: these commands can only work through the API.
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.TEMPORAL_ADDRESS;
  delete e.SIGNALROOM_CONFIG;
  return e;
};

test('request --wait through the API follows the approval and exits 0 when approved; decide and status work too', async () => {
  const execution = `api-cli-${Date.now().toString(36)}`;
  const child = spawn(process.execPath, [bin, 'approval', 'request', '--pipeline', 'api', '--stage', 'prod', '--execution', execution, '--approvers', 'release', '--channel', '#deploys', '--timeout', '10m', '--wait', '--api', url, '--token', TOKEN], { env: env() });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  const id = `approval:api:prod:${execution}`;
  await eventually('the approval card', () => h.sandbox.messages('C0DEPLOYS').some((m) => m.text.includes(`(${execution})`)));
  const refused = await exec(process.execPath, [bin, 'approval', 'decide', id, '--approve', '--as', 'U0ERIN', '--api', url, '--token', TOKEN], { env: env() }).catch((e) => e);
  expect(refused.code).toBe(5);
  expect(refused.stdout).toContain('you are not an approver for this request');
  const status = await exec(process.execPath, [bin, 'approval', 'status', id, '--api', url], { env: { ...env(), SIGNALROOM_API_TOKEN: TOKEN } }).catch((e) => e);
  expect(status.code).toBe(4);
  expect(status.stdout).toContain(`${id}: pending — 0 of 1 approvals`);
  const approved = await exec(process.execPath, [bin, 'approval', 'decide', id, '--approve', '--as', 'U0CAROL', '--api', url, '--token', TOKEN], { env: env() });
  expect(approved.stdout).toContain('recorded');

  expect(await exited).toBe(0);
  expect(out).toContain(`Approval requested: ${id}`);
  expect(out).toMatch(/In Slack: http:\/\/127\.0\.0\.1:\d+\/archives\/C0DEPLOYS\/p\d+/);
  expect(out).toContain('Refused approve from U0ERIN');
  expect(out).toContain('Approved by U0CAROL via api');
  expect(out).toContain('Outcome: approved');
});

test('a wrong token is an error (5) naming the problem; --api without a token is bad usage (64)', async () => {
  const wrong = await exec(process.execPath, [bin, 'approval', 'status', 'approval-x', '--api', url, '--token', 'not-the-token-0123456789'], { env: env() }).catch((e) => e);
  expect(wrong.code).toBe(5);
  expect(wrong.stderr).toContain('The API token is not known to this server.');
  const e = env();
  delete e.SIGNALROOM_API_TOKEN;
  const missing = await exec(process.execPath, [bin, 'approval', 'status', 'approval-x', '--api', url], { env: e }).catch((err) => err);
  expect(missing.code).toBe(64);
  expect(missing.stderr).toContain('--api needs a token');
});
