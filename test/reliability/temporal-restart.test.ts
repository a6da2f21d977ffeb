/**
 * Temporal goes away mid-wait and comes back on the same database file: the
 * pending approval survives, a click made during the outage is acknowledged
 * to Slack at once and applied once Temporal is back, and the card ends
 * truthful.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/free-port';
import { createWorker } from '../../src/worker';
import { buildServer } from '../../src/server/app';
import { featureInteractionRoutes } from '../../src/server/features';
import { requestApproval } from '../../src/approvals/client';
import { APPROVE_ACTION } from '../../core/slack/blocks/approval-card';
import { slackHarness, type SlackHarness } from '../support/slack';
import { quietRuntime, uniqueTaskQueue } from '../support/temporal';
import { eventually } from '../support/eventually';

jest.setTimeout(120_000);

test('a pending approval survives a Temporal restart, and a click during the outage is applied afterwards', async () => {
  const cliPath = process.env.SIGNALROOM_TEST_TEMPORAL_CLI!;
  const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sr-restart-')), 'temporal.db');
  const port = await freePort();
  let temporal: RunningDevServer = await startDevServer({ cliPath, port, dbFile, headless: true });
  const h: SlackHarness = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] } } });
  const taskQueue = uniqueTaskQueue('restart');

  quietRuntime();
  const workerConnection = await NativeConnection.connect({ address: temporal.address });
  const worker: Worker = await createWorker({
    connection: workerConnection,
    namespace: 'default',
    taskQueue,
    activityDeps: { integrations: h.integrations },
    workflowBundle: { codePath: process.env.SIGNALROOM_TEST_WORKFLOW_BUNDLE! },
  });
  const workerRun = worker.run();
  const client = new Client({ connection: Connection.lazy({ address: temporal.address }) });
  const app: FastifyInstance = await buildServer({
    temporal: client,
    logger: false,
    slack: { integrations: h.integrations },
    interactionRoutes: featureInteractionRoutes(),
    delivery: { deliverForMs: 90_000, maxBackoffMs: 1000 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  h.sandbox.setRequestUrl(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/slack/interactions`);

  try {
    const execution = `restart-${Date.now()}`;
    const handle = await requestApproval(client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], timeout: '10m', destination: { channel: '#deploys' } }, taskQueue);
    const card = await eventually('the approval card', () => h.sandbox.messages('C0DEPLOYS').find((m) => m.text.includes(`(${execution})`)), 60_000, 200);

    await temporal.stop();

    // Temporal is down: Slack still gets its answer in time.
    const click = await h.sandbox.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: card.ts, actionId: APPROVE_ACTION });
    expect(click.response.status).toBe(200);
    expect(click.response.withinDeadline).toBe(true);

    temporal = await startDevServer({ cliPath, port, dbFile, headless: true });

    // Until the server is back, result() fails; eventually() tries again and reports the last failure.
    const result = await eventually('the approval to finish after the restart', () => client.workflow.getHandle(handle.workflowId).result(), 60_000, 200);
    expect(result.status).toBe('approved');
    expect(result.decisions.map((d: { user: { id: string } }) => d.user.id)).toEqual(['U0CAROL']);
    const finalCard = await eventually('the card to lose its buttons', () => {
      const m = h.sandbox.message('C0DEPLOYS', card.ts);
      return m && !JSON.stringify(m.blocks).includes('"actions"') ? m : undefined;
    }, 60_000, 200);
    expect(finalCard.text).toContain('Approved');
  } finally {
    await app.close();
    worker.shutdown();
    await workerRun.catch(() => undefined);
    await workerConnection.close();
    await client.connection.close();
    await temporal.stop();
    await h.close();
  }
});
