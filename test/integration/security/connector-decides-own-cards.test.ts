/**
 * Attack: a project team holds its connector's signing secret. It routes a
 * request for the organization's approver groups through its connector
 * (`connector: payments`), so the card is that connector's; then it signs a
 * click with the connector's secret claiming carol's user id, and the
 * approval records carol's approval. Whoever holds a connector's secret can
 * claim any user on the cards that connector carries: an approver group
 * names which integrations may carry its cards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { startApproval, approvalWorkflowId } from '../../../src/approvals/client';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalStateQuery } from '../../../workflows/messages';
import { card, uniqueExecution } from '../../support/approvals';
import { CHANNEL, clickPayload, CONNECTOR_APP_ID, CONNECTOR_SECRET, CONNECTOR_TEAM_ID, eventually, formOf, securityStack, type SecurityStack } from '../../support/security';

const TOKEN = 'payments-ci-token-0123456789abcdef';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({
    config: {
      approverGroups: {
        release: { userGroups: ['@release-managers'] },
        // The payments team's own group: it trusts its connector to carry its cards.
        'payments-leads': { users: ['U0DAVE'], integrations: ['organization', 'connector:payments'] },
      },
    },
    apiTokens: [{ name: 'payments-ci', token: TOKEN, permissions: ['approvals:write', 'approvals:read'] }],
  });
});
afterAll(() => s?.close());

/** The innermost message of a failure: the worker's reason, not Temporal's wrappers. */
function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown };
  while (e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e.message ?? String(err);
}

const ask = (execution: string, extra: Record<string, unknown> = {}) =>
  s.api('POST', '/approvals', TOKEN, { pipeline: 'payments-api', stage: 'production', execution, approverGroups: ['release'], channel: CHANNEL, connector: 'payments', timeout: '10m', ...extra });

test('routing the organization’s approver group through a connector is refused: 422 naming the setting, nothing started', async () => {
  const execution = uniqueExecution('conn');
  const res = await ask(execution);
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({
    field: 'body.connector',
    message: 'connector: the cards of approver group release may be carried by organization only, not connector:payments (configuration: approverGroups.<group>.integrations)',
  });
  await expect(s.client.workflow.getHandle(approvalWorkflowId({ pipeline: 'payments-api', stage: 'production', execution })).describe()).rejects.toThrow();
  expect(card(s.sandbox, execution)).toBeUndefined();
});

test('started past the edge, the workflow refuses too: the run fails before any card, so no forged click can decide it', async () => {
  const execution = uniqueExecution('conn-wf');
  const { workflowId } = await startApproval(s.client, { pipeline: 'payments-api', stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL, connector: 'payments' }, timeout: '5s' }, s.worker.taskQueue);
  const failure = await s.client.workflow.getHandle(workflowId).result().then(
    (r: unknown) => r,
    (e: unknown) => e,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(rootMessage(failure)).toBe('The cards of approver group release may be carried by organization only, not connector:payments (configuration: approverGroups.<group>.integrations)');
  expect(card(s.sandbox, execution)).toBeUndefined();
});

test('the CLI with the configuration refuses it too: exit 64 naming the setting', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-connector-'));
  try {
    writeFileSync(path.join(dir, 'signalroom.yaml'), JSON.stringify({ approverGroups: { release: { userGroups: ['@release-managers'] } }, slack: { connectors: { payments: { botToken: 'xoxb-not-used' } } } }));
    const cli = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), 'approval', 'request', '--pipeline', 'payments-api', '--stage', 'production', '--execution', uniqueExecution('conn-cli'), '--approvers', 'release', '--channel', CHANNEL, '--connector', 'payments'], {
      env: { ...process.env, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, SIGNALROOM_CONFIG: path.join(dir, 'signalroom.yaml'), LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    cli.stderr.on('data', (c) => (err += c));
    expect(await new Promise<number>((resolve) => cli.on('close', (c) => resolve(c ?? -1)))).toBe(64);
    expect(err).toContain('may be carried by organization only, not connector:payments');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('a group that lets its connector carry its cards trusts that connector’s secret with its decisions (the boundary, stated)', async () => {
  const execution = uniqueExecution('conn-ok');
  const res = await ask(execution, { approverGroups: ['payments-leads'] });
  expect(res.status).toBe(201);
  const posted = await eventually('the connector’s card', () => card(s.sandbox, execution));
  // A click signed with the connector's secret is the connector app's click: the group chose to trust it.
  const click = clickPayload({ userId: 'U0DAVE', teamId: CONNECTOR_TEAM_ID, appId: CONNECTOR_APP_ID, messageTs: posted.ts, actionId: APPROVE_ACTION, value: String(res.body.id), responseUrl: `${s.sandbox.url}/actions/T0PAYMENTS/1/x` });
  expect((await s.slackPost('/slack/interactions', formOf(click), CONNECTOR_SECRET)).status).toBe(200);
  const state = await eventually('the decision', async () => {
    const st = await s.client.workflow.getHandle(String(res.body.id)).query(approvalStateQuery);
    return st.status !== 'pending' && st;
  });
  expect(state).toMatchObject({ status: 'approved', integration: 'connector:payments' });
});
