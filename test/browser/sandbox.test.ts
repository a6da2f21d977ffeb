/**
 * The sandbox page in headless Chromium: a person picks who they are, opens
 * #deploys, clicks Approve on the app's message and sees the app's reply;
 * then rejects through a modal. Screenshots go to test-artifacts/.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, openBrowserPage } from '../support/browser';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { startReceiver, type Receiver } from '../support/sandbox-receiver';
import { expectOnlyListedErrors, webClient } from '../support/sandbox';
import { eventually } from '../support/eventually';

let slack: Sandbox;
let app: Receiver;
let page: Page;
let chromium: Awaited<ReturnType<typeof openBrowserPage>> | undefined;

beforeAll(async () => {
  slack = await startSandbox({ rateLimits: false });
  app = await startReceiver(slack.signingSecret);
  slack.setRequestUrl(app.url);
  // The stand-in app: Approve edits the message through response_url, Reject opens a modal.
  const web = webClient(slack);
  app.onPayload = async (p) => {
    if (p.type === 'block_actions') {
      const action = (p.actions as Array<{ action_id: string }>)[0]!;
      const user = p.user as { id: string; name: string };
      if (action.action_id === 'approve') {
        await fetch(p.response_url as string, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ replace_original: true, text: `Approved by ${user.name}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: *Approved* by <@${user.id}>` } }] }),
        });
      } else {
        await web.views.open({
          trigger_id: p.trigger_id as string,
          view: { type: 'modal', callback_id: 'reject', title: { type: 'plain_text', text: 'Reject deployment' }, submit: { type: 'plain_text', text: 'Reject' }, blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Why?' }, element: { type: 'plain_text_input', action_id: 'text' } }] },
        });
      }
      return '';
    }
    const reason = (p.view as { state: { values: { reason: { text: { value: string } } } } }).state.values.reason.text.value;
    await web.chat.postMessage({ channel: 'C0DEPLOYS', text: `Rejected: ${reason}` });
    return '';
  };

  chromium = await openBrowserPage();
  page = chromium.page;
});

afterAll(async () => {
  await chromium?.close();
  expectOnlyListedErrors(slack);
  await app?.close();
  await slack?.close();
});

test('a person clicks Approve on the app\'s message and sees the app\'s reply', async () => {
  await webClient(slack).chat.postMessage({
    channel: 'C0DEPLOYS',
    text: 'Deploy api v42 to production?',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Deploy api v42 to production' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Service*\napi' }, { type: 'mrkdwn', text: '*Requested by*\n<@U0ALICE>' }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Approvers: <!subteam^S0RELMGRS|@release-managers>' }] },
      { type: 'divider' },
      { type: 'image', image_url: 'https://example.com/graph.png', alt_text: 'error rate' },
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'approve', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: 'a1' },
          { type: 'button', action_id: 'reject', style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: 'a1' },
        ],
      },
    ],
  });
  await page.goto(`${slack.pageUrl}?user=U0CAROL#C0DEPLOYS`);
  await page.getByRole('button', { name: '# deploys' }).click();
  await page.getByText('Deploy api v42 to production', { exact: true }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page-before-click.png') });

  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByText('Approved').waitFor();
  await page.getByText('(edited)').waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page-approved.png') });
  // Slack renders emoji shortcodes: the reply's :white_check_mark: shows as the emoji, never as its code.
  const shown = await eventually('the emoji on the page', async () => {
    const text = await page.locator('#messages').innerText();
    return /\u2705\uFE0F? Approved by @carol/u.test(text) && text;
  });
  expect(shown).not.toContain(':white_check_mark:');

  expect(app.received[0]!.payload).toMatchObject({ type: 'block_actions', user: { id: 'U0CAROL' } });
  expect(slack.messages('C0DEPLOYS')[0]!.text).toBe('Approved by carol');
});

test('picking another person, Reject opens the app\'s modal, and its submit reaches the app', async () => {
  await webClient(slack).chat.postMessage({
    channel: 'C0DEPLOYS',
    text: 'Deploy web v7?',
    blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject web v7' }, value: 'a2' }] }],
  });
  await page.getByLabel('You are').selectOption('U0DAVE');
  await page.getByRole('button', { name: 'Reject web v7' }).click();
  await page.getByRole('dialog').getByText('Reject deployment').waitFor();
  await page.getByLabel('Why?').fill('error budget exhausted');
  await page.getByRole('dialog').getByRole('button', { name: 'Reject' }).click();
  await page.getByText('Rejected: error budget exhausted').waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page-modal-submitted.png') });
  expect(app.received.at(-1)!.payload).toMatchObject({ type: 'view_submission', user: { id: 'U0DAVE' } });
});

test('when the app answers a submit with a view Slack refuses, the modal stays and says Slack had trouble', async () => {
  const usual = app.onPayload;
  // A title over Slack's 24 characters: views.update would refuse it, and so does the modal.
  app.onPayload = async (p) => (p.type === 'view_submission' ? { response_action: 'update', view: { type: 'modal', title: { type: 'plain_text', text: 'A title far too long for Slack' }, blocks: [] } } : usual(p));
  try {
    await webClient(slack).chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'Deploy api v43?',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject api v43' }, value: 'a3' }] }],
    });
    await page.getByRole('button', { name: 'Reject api v43' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Reject deployment').waitFor();
    await page.getByLabel('Why?').fill('flaky canary');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await dialog.getByText('We had some trouble connecting. Try again?').waitFor();
    expect(await dialog.getByText('Reject deployment').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page-modal-refused.png') });
    expect(slack.openView('U0DAVE')).toMatchObject({ title: { text: 'Reject deployment' } });
  } finally {
    app.onPayload = usual;
  }
});

test('a person of the organization\'s other workspace clicks in the shared channel, and types /signalroom in the message box', async () => {
  const { createServer } = await import('node:http');
  const commands: URLSearchParams[] = [];
  // The stand-in app's slash command: answers privately with what it was asked.
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      commands.push(form);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'ephemeral', text: `You asked for ${form.get('text')}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  slack.setSlashCommandUrl(`http://127.0.0.1:${(server.address() as { port: number }).port}/slack/commands`);
  try {
    await webClient(slack).chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'Deploy api v44?',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve api v44' }, value: 'a4' }] }],
    });
    await page.getByLabel('You are').selectOption('W0FRANK');
    await page.locator('#team-name', { hasText: 'Signalroom Sandbox Labs' }).waitFor();
    await page.getByRole('button', { name: '# deploys' }).click();
    await page.getByRole('button', { name: 'Approve api v44' }).click();
    await eventually('frank\'s click', () => app.received.find((r) => (r.payload.user as { id: string }).id === 'W0FRANK'));
    expect(app.received.at(-1)!.payload).toMatchObject({ enterprise: { id: 'E0SANDBOX' }, team: { id: 'T0SANDBOX' }, user: { id: 'W0FRANK', team_id: 'T0LABS' } });

    await page.locator('#composer-text').fill('/signalroom approvals');
    await page.locator('#composer').getByRole('button', { name: 'Send' }).click();
    await page.getByText('You asked for approvals').waitFor();
    await page.getByText('Only visible to you').first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page-grid-slash-command.png') });
    expect(Object.fromEntries(commands[0]!)).toMatchObject({ command: '/signalroom', text: 'approvals', user_id: 'W0FRANK', user_name: 'frank', channel_id: 'C0DEPLOYS', enterprise_id: 'E0SANDBOX' });
    // The command was not posted as a message.
    expect(slack.messages('C0DEPLOYS').map((m) => m.text)).not.toContain('/signalroom approvals');
  } finally {
    slack.setSlashCommandUrl(undefined);
    await new Promise<void>((r) => server.close(() => r()));
  }
});
