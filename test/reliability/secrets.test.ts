/**
 * No token or signing secret in what Temporal stores or what Signalroom logs.
 * The global teardown scans every workflow of the whole run; this file checks
 * that scan can find a leak, and scans the server's and the worker's logs of
 * a full approval and incident.
 */
import { Writable } from 'node:stream';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../src/temporal/dev-server';
import { scanForSecrets } from '../support/secrets-scan';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { buildServer } from '../../src/server/app';
import { featureInteractionRoutes, featureApiRoutes } from '../../src/server/features';
import { requestApproval } from '../../src/approvals/client';
import { openIncident } from '../../src/incidents/client';
import { loadRunbookFile } from '../../src/runbook/load';
import { APPROVE_ACTION } from '../../core/slack/blocks/approval-card';
import { capturedSdkLogs, testClient, testWorker } from '../support/temporal';
import { slackHarness } from '../support/slack';
import { eventually } from '../support/eventually';

jest.setTimeout(60_000);

test('the scan finds a token that reached a workflow history (the check can fail)', async () => {
  const server = await startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, headless: true });
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'sr-scan-'));
  writeFileSync(path.join(runDir, 'secrets.txt'), 'a-signing-secret-0123456789\n');
  const client = new Client({ connection: await Connection.connect({ address: server.address }) });
  try {
    await client.workflow.start('selfCheck', { taskQueue: 'nobody', workflowId: 'leaky', args: ['xoxb-T0LEAK-1234567890-abcdef', 'a-signing-secret-0123456789'] });
    const report = await scanForSecrets(server.address, runDir);
    expect(report.findings.map((f) => f.what)).toEqual(expect.arrayContaining([expect.stringContaining('a Slack token (xoxb-T0LE…) in its history'), expect.stringContaining('a test secret (a-sign…) in its history')]));
  } finally {
    await client.connection.close();
    await server.stop();
  }
});

test('a full approval and incident log no token or signing secret (server and worker logs)', async () => {
  const h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] } }, api: { tokens: [{ name: 'ci', token: 'api-token-secret-0123456789', permissions: ['*'] }] } });
  const client = await testClient();
  const w = await testWorker({ activityDeps: { integrations: h.integrations } });
  const serverLogs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      serverLogs.push(chunk.toString());
      cb();
    },
  });
  const app = await buildServer({
    temporal: client,
    logger: { level: 'trace', stream: sink } as never,
    slack: { integrations: h.integrations },
    interactionRoutes: featureInteractionRoutes(),
    apiTokens: h.config.api.tokens,
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: w.taskQueue, runbookDirs: [path.resolve(__dirname, '../../runbooks')] }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  h.sandbox.setRequestUrl(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/slack/interactions`);
  try {
    await w.runUntil(async () => {
      const handle = await requestApproval(client, { pipeline: 'api', stage: 'prod', execution: `secrets-${Date.now()}`, approverGroups: ['release'], destination: { channel: '#deploys' } }, w.taskQueue);
      const card = await eventually('the approval card', () => h.sandbox.messages('C0DEPLOYS').find((m) => m.metadata && JSON.stringify(m.metadata).includes(handle.workflowId)));
      const click = await h.sandbox.click({ userId: 'U0DAVE', channelId: 'C0DEPLOYS', messageTs: card.ts, actionId: APPROVE_ACTION });
      expect(click.response.status).toBe(200);
      expect((await handle.result()).status).toBe('approved');

      const { runbook } = await loadRunbookFile(path.resolve(__dirname, '../../runbooks/seed-example.yaml'));
      const incident = await openIncident(client, runbook!, { 'incident.id': `SEC-${Date.now()}`, 'incident.severity': 'SEV3', 'incident.service': 'web' }, w.taskQueue);
      await incident.signal('incidentResolve', { resolvedBy: 'U0ALICE' });
      await incident.result();
      await app.inject({ method: 'GET', url: '/api/v1/whoami', headers: { authorization: 'Bearer api-token-secret-0123456789' } });
    });
  } finally {
    await app.close();
    await w.close();
    await client.connection.close();
    await h.close();
  }
  const logs = [...serverLogs, ...capturedSdkLogs()].join('\n');
  expect(serverLogs.length).toBeGreaterThan(3);
  expect(capturedSdkLogs().length).toBeGreaterThan(3);
  for (const secret of [h.sandbox.botToken, h.sandbox.signingSecret, 'api-token-secret-0123456789']) expect(logs).not.toContain(secret);
  expect(logs).not.toMatch(/xox[abp]-[A-Za-z0-9-]{8,}/);
});
