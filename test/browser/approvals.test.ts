/**
 * A whole approval in the sandbox page, in headless Chromium: a pipeline asks
 * for approval, the card appears in #deploys, carol (a release manager)
 * clicks Approve, and the card turns approved with its buttons gone.
 * Screenshots go to test-artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, openBrowserPage } from '../support/browser';
import { normalizeApprovalRequest, requestApproval } from '../../src/approvals/client';
import { approvalStack, buttons, card, CHANNEL, eventually, uniqueExecution, type ApprovalStack } from '../support/approvals';

let stack: ApprovalStack;
let page: Page;
let chromium: Awaited<ReturnType<typeof openBrowserPage>> | undefined;

beforeAll(async () => {
  stack = await approvalStack();
  chromium = await openBrowserPage();
  page = chromium.page;
});

afterAll(async () => {
  await chromium?.close();
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
  // The deadline reads as Slack shows a <!date^…> token: in the viewer's time, never the raw token.
  await page.locator('time').filter({ hasText: /^today \d\d:\d\d$|^tomorrow \d\d:\d\d$/ }).first().waitFor();
  expect(await page.getByText('<!date^').count()).toBe(0);
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
