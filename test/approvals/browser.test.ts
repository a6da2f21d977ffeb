/**
 * A whole approval in the sandbox page, in headless Chromium: a pipeline asks
 * for approval, the card appears in #deploys, carol (a release manager)
 * clicks Approve, and the card turns approved with its buttons gone.
 * Screenshots go to test-artifacts/.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { normalizeApprovalRequest, requestApproval } from '../../src/approvals/client';
import { approvalStack, buttons, card, CHANNEL, eventually, uniqueExecution, type ApprovalStack } from './support';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
let stack: ApprovalStack;
let browser: BrowserContext;
let page: Page;
let profileDir: string;

beforeAll(async () => {
  stack = await approvalStack();
  mkdirSync(ARTIFACTS, { recursive: true });
  profileDir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await stack?.close();
});

test('request an approval, and carol approves it on the sandbox page', async () => {
  const execution = uniqueExecution('web');
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({
      pipeline: 'web',
      stage: 'production',
      execution,
      summary: 'Deploy web v7.3 to production',
      approverGroups: ['release'],
      requestedBy: 'U0ERIN',
      timeout: '10m',
      destination: { channel: CHANNEL },
    }),
    stack.worker.taskQueue,
  );
  await eventually('the card', () => card(stack.sandbox, execution));

  await page.goto(`${stack.sandbox.pageUrl}?user=U0CAROL#${CHANNEL}`);
  await page.getByRole('button', { name: '# deploys' }).click();
  await page.getByText('Deploy web v7.3 to production').waitFor();
  await page.getByText('0 of 1').waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'approval-requested.png') });

  await page.getByLabel('You are').selectOption('U0CAROL');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();

  await page.getByText('Approved: web › production').waitFor();
  await page.getByText('(edited)').first().waitFor();
  expect(await page.getByRole('button', { name: 'Approve', exact: true }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Reject', exact: true }).count()).toBe(0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'approval-approved.png') });

  expect(buttons(card(stack.sandbox, execution)!)).toEqual([]);
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'approved', decisions: [expect.objectContaining({ user: expect.objectContaining({ id: 'U0CAROL' }) })] });
});
