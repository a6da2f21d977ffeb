/**
 * The CLI through the HTTP API (`--api URL --token T`): what a pipeline runs
 * when it can reach the Signalroom server but not Temporal.
 */
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { buildServer } from '../../../src/server/app';
import { featureApiRoutes } from '../../../src/server/features';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { rememberSecrets, slackHarness, type SlackHarness } from '../../support/slack';
import { eventually } from '../../support/eventually';
import { runSignalroom } from '../../support/ops';

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
const API_ONLY = { TEMPORAL_ADDRESS: undefined, SIGNALROOM_CONFIG: undefined };
const signalroom = (args: string[], env: Record<string, string | undefined> = {}) => runSignalroom(args, { env: { ...API_ONLY, ...env } });

test('request --wait through the API follows the approval and exits 0 when approved; decide and status work too', async () => {
  const execution = `api-cli-${Date.now().toString(36)}`;
  const waiting = signalroom(['approval', 'request', '--pipeline', 'api', '--stage', 'prod', '--execution', execution, '--approvers', 'release', '--channel', '#deploys', '--timeout', '10m', '--wait', '--api', url, '--token', TOKEN]);

  const id = `approval:api:prod:${execution}`;
  await eventually('the approval card', () => h.sandbox.messages('C0DEPLOYS').some((m) => m.text.includes(`(${execution})`)));
  const refused = await signalroom(['approval', 'decide', id, '--approve', '--as', 'U0ERIN', '--api', url, '--token', TOKEN]);
  expect(refused.code).toBe(5);
  expect(refused.stdout).toContain('you are not an approver for this request');
  const status = await signalroom(['approval', 'status', id, '--api', url], { SIGNALROOM_API_TOKEN: TOKEN });
  expect(status.code).toBe(4);
  expect(status.stdout).toContain(`${id}: pending — 0 of 1 approval;`);
  const approved = await signalroom(['approval', 'decide', id, '--approve', '--as', 'U0CAROL', '--api', url, '--token', TOKEN]);
  expect(approved).toMatchObject({ code: 0, stdout: expect.stringContaining('recorded') });

  const { code, stdout, stderr } = await waiting;
  expect(code).toBe(0);
  const out = stdout + stderr;
  expect(out).toContain(`Approval requested: ${id}`);
  expect(out).toMatch(/In Slack: http:\/\/127\.0\.0\.1:\d+\/archives\/C0DEPLOYS\/p\d+/);
  expect(out).toContain('Refused approve from U0ERIN');
  expect(out).toContain('Approved by U0CAROL via api');
  expect(out).toContain('Outcome: approved');
});

test('status of a rejected approval says the rejection once, with people as text, not Slack markup', async () => {
  const execution = `api-cli-rejected-${Date.now().toString(36)}`;
  const id = `approval:api:prod:${execution}`;
  const requested = await signalroom(['approval', 'request', '--pipeline', 'api', '--stage', 'prod', '--execution', execution, '--approvers', 'release', '--channel', '#deploys', '--timeout', '10m', '--api', url, '--token', TOKEN]);
  expect(requested.code).toBe(0);
  await eventually('the approval card', () => h.sandbox.messages('C0DEPLOYS').some((m) => m.text.includes(`(${execution})`)));
  const rejected = await signalroom(['approval', 'decide', id, '--reject', '--reason', 'error budget <spent>', '--as', 'U0CAROL', '--api', url, '--token', TOKEN]);
  expect(rejected.code).toBe(0);
  const status = await signalroom(['approval', 'status', id, '--api', url, '--token', TOKEN]);
  expect(status.code).toBe(1);
  expect(status.stdout).toContain(`${id}: rejected — 0 of 1 approval;`);
  expect(status.stdout.match(/Rejected by/g)).toHaveLength(1);
  expect(status.stdout).toContain('Rejected by U0CAROL via api: error budget <spent>');
  expect(status.stdout).not.toMatch(/<@|&lt;/);
});

test('a wrong token is an error (5) naming the problem; --api without a token is bad usage (64)', async () => {
  const wrong = await signalroom(['approval', 'status', 'approval-x', '--api', url, '--token', 'not-the-token-0123456789']);
  expect(wrong.code).toBe(5);
  expect(wrong.stderr).toContain('The API token is not known to this server.');
  const missing = await signalroom(['approval', 'status', 'approval-x', '--api', url], { SIGNALROOM_API_TOKEN: undefined });
  expect(missing.code).toBe(64);
  expect(missing.stderr).toContain('--api needs a token');
});
