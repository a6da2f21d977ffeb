/**
 * Attack: a token holder creates the approval a pipeline will ask for, first,
 * with laxer approvers and an approving timeout, so the real pipeline joins
 * it and goes on with no human decision. And: two different pipelines whose
 * names collide into one approval.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { approvalStateQuery } from '../../../workflows/messages';
import { CHANNEL, securityStack, type SecurityStack } from '../../support/security';

const TOKEN = 'squatter-token-0123456789abcdef';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ apiTokens: [{ name: 'squatter', token: TOKEN, permissions: ['approvals:write', 'approvals:read'] }] });
});
afterAll(() => s?.close());

const ask = (execution: string, extra: Record<string, unknown> = {}) =>
  s.api('POST', '/approvals', TOKEN, { pipeline: 'payments-api', stage: 'production', execution, approverGroups: ['release'], minApprovals: 2, channel: CHANNEL, timeout: '10m', ...extra });

test('a request may not make a timeout approve where the configuration does not allow it', async () => {
  const res = await ask(`9002-${Date.now().toString(36)}`, { approverGroups: ['sre'], minApprovals: 1, onTimeout: 'approve', timeout: '15s' });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ field: 'body.onTimeout', message: expect.stringContaining('approve on timeout is not allowed for sre') });
});

test('the real request does not join a squatted approval that asks for something else: 409 naming what differs, and CLI exit 5', async () => {
  const execution = `9002-${Date.now().toString(36)}`;
  const squat = await ask(execution, { approverGroups: ['sre'], minApprovals: 1, timeout: '15s' });
  expect(squat.status).toBe(201);
  const real = await ask(execution);
  expect(real.status).toBe(409);
  expect(real.body).toMatchObject({ error: 'conflict', fields: ['approverGroups', 'minApprovals', 'timeout'] });
  expect(String(real.body.message)).toContain('approverGroups, minApprovals, timeout differ');

  // The pipeline's CLI step, straight against Temporal: refused too, exit 5, nothing joined.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-squat-'));
  writeFileSync(path.join(dir, 'signalroom.yaml'), 'approverGroups:\n  release:\n    userGroups: ["@release-managers"]\n  sre:\n    users: [U0ALICE]\n');
  const cli = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), 'approval', 'request', '--pipeline', 'payments-api', '--stage', 'production', '--execution', execution, '--approvers', 'release', '--min', '2', '--channel', CHANNEL, '--wait'], {
    env: { ...process.env, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, SIGNALROOM_CONFIG: path.join(dir, 'signalroom.yaml'), LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  cli.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number>((resolve) => cli.on('close', (c) => resolve(c ?? -1)));
  expect(code).toBe(5);
  expect(err).toContain('approverGroups, minApprovals, timeout differ');
  rmSync(dir, { recursive: true, force: true });

  // The same request again (a retried pipeline step) still joins.
  const squatId = String(squat.body.id);
  expect(await ask(execution, { approverGroups: ['sre'], minApprovals: 1, timeout: '15s' })).toEqual({ status: 200, body: { id: squatId, created: false } });
  const state = await s.client.workflow.getHandle(squatId).query(approvalStateQuery);
  expect(state.request.approverGroups).toEqual(['sre']);
}, 90_000);

test('pipeline, stage and execution that join into the same text are different approvals', async () => {
  const n = Date.now().toString(36);
  const a = await s.api('POST', '/approvals', TOKEN, { pipeline: 'deploy', stage: 'prod-eu', execution: n, approverGroups: ['release'], channel: CHANNEL });
  const b = await s.api('POST', '/approvals', TOKEN, { pipeline: 'deploy-prod', stage: 'eu', execution: n, approverGroups: ['release'], channel: CHANNEL });
  expect(a).toEqual({ status: 201, body: { id: `approval:deploy:prod-eu:${n}`, created: true } });
  expect(b).toEqual({ status: 201, body: { id: `approval:deploy-prod:eu:${n}`, created: true } });
  const c = await s.api('POST', '/approvals', TOKEN, { pipeline: 'deploy:prod', stage: 'eu', execution: n, approverGroups: ['release'], channel: CHANNEL });
  expect(c).toEqual({ status: 201, body: { id: `approval:deploy%3Aprod:eu:${n}`, created: true } });
});
