/**
 * The Temporal Web UI in headless Chromium, as an operator uses it: open the
 * Workflows list with a README recipe in the URL, find the pending approval
 * by its search attributes, open it and read its summary and details.
 * Screenshot: test-artifacts/temporal-ui-approval.png.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Page } from 'playwright-core';
import { ARTIFACTS, openBrowserPage } from '../support/browser';
import { requestApproval } from '../../src/approvals/client';
import { freePort } from '../../src/temporal/free-port';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { LIST_RECIPES, recipeUrl } from '../../src/temporal/recipes';
import { createWorker } from '../../src/worker';
import { approvalStateQuery } from '../../workflows/messages';
import { slackHarness, type SlackHarness } from '../support/slack';
import { uniqueTaskQueue } from '../support/temporal';
import { eventually } from '../support/ops';


let server: RunningDevServer;
let h: SlackHarness;
let connection: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
let page: Page;
let chromium: Awaited<ReturnType<typeof openBrowserPage>> | undefined;
const taskQueue = uniqueTaskQueue('ui');

beforeAll(async () => {
  server = await startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, uiPort: await freePort() });
  h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] } } });
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this jest worker
  }
  connection = await NativeConnection.connect({ address: server.address });
  worker = await createWorker({
    connection,
    namespace: server.namespace,
    taskQueue,
    activityDeps: { integrations: h.integrations },
    workflowBundle: { codePath: process.env.SIGNALROOM_TEST_WORKFLOW_BUNDLE! },
  });
  running = worker.run();
  client = new Client({ connection: await Connection.connect({ address: server.address }), namespace: server.namespace });

  chromium = await openBrowserPage();
  page = chromium.page;
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  worker?.shutdown();
  await running?.catch(() => undefined);
  await client?.connection.close();
  await connection?.close();
  await h?.close();
  await server?.stop();
});

test('an operator finds a pending approval with a recipe and reads what it is about', async () => {
  try {
    await findAndReadApproval();
  } catch (err) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-failure.png'), fullPage: true }).catch(() => undefined);
    throw err;
  }
}, 150_000);

async function findAndReadApproval(): Promise<void> {
  const execution = `ui-${Date.now().toString(36)}`;
  const wanted = await requestApproval(
    client,
    {
      pipeline: 'api',
      stage: 'production',
      execution,
      summary: 'Deploy api v1.42 to production',
      link: 'https://ci.example.com/api/runs/1042',
      requestedBy: 'U0ERIN', // not a release manager: were dave asking, one person would be left for two approvals, and the run refused as impossible
      approverGroups: ['release'],
      minApprovals: 2,
      timeout: '30m',
      destination: { channel: '#deploys' },
    },
    taskQueue,
  );
  // Pending too, but of another pipeline: the recipe must leave it out.
  const other = await requestApproval(client, { pipeline: 'web', stage: 'production', execution, approverGroups: ['release'], destination: { channel: '#deploys' }, timeout: '30m' }, taskQueue);
  for (const handle of [wanted, other]) await eventually(`${handle.workflowId} to post its card`, async () => (await handle.query(approvalStateQuery)).message !== undefined);

  // Visibility is eventually consistent: first wait until Temporal itself lists the run for the recipe's query,
  // so that what follows waits on the UI alone.
  const query = LIST_RECIPES.pendingApprovalsOfPipeline.query;
  await eventually(
    'visibility to list the approval for the recipe',
    async () => {
      for await (const run of client.workflow.list({ query })) if (run.workflowId === wanted.workflowId) return true;
      return false;
    },
    30_000,
    250,
  );
  // The Workflows list, filtered by the README's recipe in the URL. On a busy machine the UI's first render
  // (its bundle, then its own list call) can take seconds: give each load its time before loading again.
  const listUrl = recipeUrl(server.uiUrl!, server.namespace, query);
  const row = page.getByRole('link', { name: wanted.workflowId, exact: true });
  await eventually(
    'the Workflows list to show the approval',
    async () => {
      await page.goto(listUrl);
      await row.first().waitFor({ timeout: 15_000 });
      return true;
    },
    45_000,
    500,
  );
  // The query is what the UI filters by, and only the matching approval is listed.
  await page.getByText('SignalroomPipeline', { exact: false }).first().waitFor();
  expect(await page.getByRole('link', { name: other.workflowId, exact: true }).count()).toBe(0);
  expect(await row.count()).toBe(1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-approval-list.png') });

  // Open it: its summary and details say what is being approved, by whom, until when.
  await row.first().click();
  // The UI puts the id in the path percent-encoded (approval ids hold ':').
  const inPath = (id: string) => [id, encodeURIComponent(id)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  await page.waitForURL(new RegExp(`/workflows/(${inPath(wanted.workflowId)})/`));
  await page.getByRole('link', { name: 'User Metadata' }).or(page.getByRole('tab', { name: 'User Metadata' })).or(page.getByText('User Metadata', { exact: true })).first().click();
  // The UI renders summary and details as markdown, each in its own sandboxed frame.
  const shown = await eventually(
    'the summary and details to be shown',
    async () => {
      const text = (await Promise.all(page.frames().map((f) => f.locator('body').innerText({ timeout: 1000 }).catch(() => '')))).join('\n');
      return text.includes(`Approval: api › production (${execution})`) && text.includes('https://ci.example.com/api/runs/1042') && text.includes('Approvers: release') && text;
    },
    60_000,
    250,
  );
  expect(shown).toContain('Deploy api v1.42 to production');
  expect(shown).toContain('Approvers: release; 2 needed');
  expect(shown).toContain('Timeout: 30m, then reject');
  expect(shown).toContain('Requested by U0ERIN');
  // The timeline says what the run is doing, and until when.
  await page.getByText(/Waiting for 2 more approvals until \d\d:\d\d UTC/).first().waitFor();
  await page.getByText('Posting approval request to #deploys').first().waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-approval.png') });

  await Promise.all([wanted, other].map((x) => x.terminate('ui test finished')));
}
