/** Clicks, response_url, trigger ids, modals and incoming webhooks, as Slack runs them. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { startReceiver, type Receiver } from '../../support/sandbox-receiver';
import { expectOnlyListedErrors, jsonOf, slackError, webClient } from '../../support/sandbox';

let slack: Sandbox;
let app: Receiver;
beforeEach(async () => {
  slack = await startSandbox({ rateLimits: false, signingSecret: 'test-signing-secret' });
  app = await startReceiver('test-signing-secret');
  slack.setRequestUrl(app.url);
});
afterEach(async () => {
  expectOnlyListedErrors(slack);
  await app.close();
  await slack.close();
});

async function approvalMessage(): Promise<string> {
  const r = await webClient(slack).chat.postMessage({
    channel: 'C0DEPLOYS',
    text: 'Deploy api v42 to production?',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Deploy api v42' } },
      { type: 'section', fields: [{ type: 'mrkdwn', text: '*Service*\napi' }, { type: 'mrkdwn', text: '*Version*\nv42' }] },
      {
        type: 'actions',
        block_id: 'decision',
        elements: [
          { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'approval-1', style: 'primary' },
          { type: 'button', action_id: 'reject', text: { type: 'plain_text', text: 'Reject' }, value: 'approval-1', style: 'danger' },
        ],
      },
    ],
  });
  return r.ts!;
}

test('a click is a signed, form-encoded block_actions payload, and the app\'s answer is recorded', async () => {
  const ts = await approvalMessage();
  const before = performance.now();
  const result = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
  const after = performance.now();
  expect(result.response).toMatchObject({ status: 200, withinDeadline: true });
  expect(result.response.durationMs).toEqual(expect.any(Number));
  // When it was sent, on this process's performance clock: after the click began, its answer's time before the click returned.
  expect(result.response.sentAtMs).toBeGreaterThanOrEqual(before);
  expect(result.response.sentAtMs! + result.response.durationMs).toBeLessThanOrEqual(after);
  expect(app.received).toHaveLength(1);
  const { payload, signatureValid } = app.received[0]!;
  expect(signatureValid).toBe(true);
  expect(payload).toMatchObject({
    type: 'block_actions',
    user: { id: 'U0CAROL', username: 'carol', team_id: 'T0SANDBOX' },
    team: { id: 'T0SANDBOX' },
    channel: { id: 'C0DEPLOYS', name: 'deploys' },
    container: { type: 'message', message_ts: ts, channel_id: 'C0DEPLOYS', is_ephemeral: false },
    message: { ts, text: 'Deploy api v42 to production?' },
    actions: [{ action_id: 'approve', block_id: 'decision', value: 'approval-1', type: 'button', style: 'primary' }],
    response_url: result.responseUrl,
    trigger_id: result.triggerId,
  });
});

test('a button removed by an update cannot be clicked, unless the person\'s client still shows the old message', async () => {
  const ts = await approvalMessage();
  const before = structuredClone(slack.message('C0DEPLOYS', ts)!); // a copy: the sandbox's own message changes with the update
  await webClient(slack).chat.update({ channel: 'C0DEPLOYS', ts, text: 'Approved', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Approved by carol' } }] });
  await expect(slack.click({ userId: 'U0DAVE', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' })).rejects.toThrow(/no element with action_id approve/);
  expect(app.received).toHaveLength(0);

  const late = await slack.click({ userId: 'U0DAVE', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve', seen: before });
  expect(late.response.status).toBe(200);
  expect(app.received[0]!.payload).toMatchObject({ user: { id: 'U0DAVE' }, actions: [{ action_id: 'approve', value: 'approval-1' }], message: { ts, text: 'Approved' } });
});

test('an app that is down or slow is recorded too', async () => {
  const ts = await approvalMessage();
  app.onPayload = () => {
    throw new Error('boom');
  };
  const failed = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
  expect(failed.response.status).toBe(500);
  slack.setRequestUrl(undefined);
  const nowhere = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'reject' });
  expect(nowhere.response.error).toBe('no_request_url');
  expect(slack.interactions().map((i) => i.response.status ?? i.response.error)).toEqual([500, 'no_request_url']);
});

test('response_url: replace_original, ephemeral replies, delete_original, at most 5 uses', async () => {
  const ts = await approvalMessage();
  const { responseUrl } = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
  const send = (body: unknown) => fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  expect((await send({ replace_original: true, text: 'Approved by <@U0CAROL>' })).status).toBe(200);
  expect(slack.message('C0DEPLOYS', ts)!.text).toBe('Approved by <@U0CAROL>');
  expect(slack.message('C0DEPLOYS', ts)!.edits).toHaveLength(1);

  expect((await send({ text: 'Only you see this' })).status).toBe(200);
  expect(slack.ephemerals({ userId: 'U0CAROL' }).map((e) => e.text)).toEqual(['Only you see this']);

  expect((await send({ response_type: 'in_channel', text: 'Everyone sees this' })).status).toBe(200);
  expect(slack.messages('C0DEPLOYS').map((m) => m.text)).toContain('Everyone sees this');

  expect((await send({ delete_original: true })).status).toBe(200);
  expect(slack.message('C0DEPLOYS', ts)).toBeUndefined();

  expect((await send({ text: 'fifth' })).status).toBe(200);
  expect(slack.responseUrlUses(responseUrl)).toBe(5);
  const sixth = await send({ text: 'sixth' });
  expect(sixth.status).toBe(404);
  expect((await jsonOf(sixth)).error).toBe('used_url');
});

test('a response_url expires after 30 minutes', async () => {
  const ts = await approvalMessage();
  const { responseUrl } = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
  slack.advanceClock(31 * 60_000);
  const res = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'late' }) });
  expect(res.status).toBe(404);
  expect((await jsonOf(res)).error).toBe('expired_url');
});

test('trigger_id opens one modal, once, within 3 seconds; its submit is a signed view_submission', async () => {
  const ts = await approvalMessage();
  const web = webClient(slack);
  const view = {
    type: 'modal' as const,
    callback_id: 'reject-reason',
    private_metadata: 'approval-1',
    title: { type: 'plain_text' as const, text: 'Reject deployment' },
    submit: { type: 'plain_text' as const, text: 'Reject' },
    blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Why?' }, element: { type: 'plain_text_input', action_id: 'text' } }],
  };
  const first = await slack.click({ userId: 'U0DAVE', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'reject' });
  const opened = await web.views.open({ trigger_id: first.triggerId, view: view as never });
  expect(slack.openView('U0DAVE')!.id).toBe(opened.view!.id);
  expect(await slackError(web.views.open({ trigger_id: first.triggerId, view: view as never }))).toBe('exchanged_trigger_id');
  const second = await slack.click({ userId: 'U0DAVE', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'reject' });
  slack.advanceClock(3_001);
  expect(await slackError(web.views.open({ trigger_id: second.triggerId, view: view as never }))).toBe('expired_trigger_id');
  expect(await slackError(web.views.open({ trigger_id: 'made.up.trigger', view: view as never }))).toBe('invalid_trigger_id');

  // A required input left empty never reaches the app.
  expect(await slack.submitView({ userId: 'U0DAVE' })).toMatchObject({ sent: false, missing: ['reason'] });

  app.onPayload = (p) => ((p.view as { state: { values: { reason: { text: { value: string } } } } }).state.values.reason.text.value.length < 5 ? { response_action: 'errors', errors: { reason: 'Say a little more' } } : '');
  const tooShort = await slack.submitView({ userId: 'U0DAVE', values: { reason: 'no' } });
  expect(tooShort).toMatchObject({ sent: true, responseAction: 'errors', errors: { reason: 'Say a little more' } });
  expect(slack.openView('U0DAVE')).toBeDefined();

  const done = await slack.submitView({ userId: 'U0DAVE', values: { reason: 'the canary is failing' } });
  expect(done.responseAction).toBe('close');
  expect(slack.openView('U0DAVE')).toBeUndefined();
  const submission = app.received.at(-1)!;
  expect(submission.signatureValid).toBe(true);
  expect(submission.payload).toMatchObject({
    type: 'view_submission',
    user: { id: 'U0DAVE' },
    view: { callback_id: 'reject-reason', private_metadata: 'approval-1', state: { values: { reason: { text: { type: 'plain_text_input', value: 'the canary is failing' } } } } },
  });
});

test('an incoming webhook posts into its channel as the app', async () => {
  const url = slack.createIncomingWebhook('C0DEPLOYS');
  const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Approval needed', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Approve?*' } }] }) });
  expect(ok.status).toBe(200);
  expect(await ok.text()).toBe('ok');
  const [m] = slack.messages('C0DEPLOYS');
  expect(m).toMatchObject({ text: 'Approval needed', botId: 'B0SIGNALRM', via: 'webhook' });
  const empty = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect([empty.status, await empty.text()]).toEqual([400, 'no_text']);
  const unknown = await fetch(`${slack.url}/services/T0SANDBOX/B0SIGNALRM/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
  expect([unknown.status, await unknown.text()]).toEqual([404, 'no_service']);
});

describe('a modal answered with response_action', () => {
  const reasonModal = {
    type: 'modal' as const,
    callback_id: 'reject-reason',
    title: { type: 'plain_text' as const, text: 'Reject deployment' },
    submit: { type: 'plain_text' as const, text: 'Reject' },
    blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Why?' }, element: { type: 'plain_text_input', action_id: 'text' } }],
  };
  /** The modal as the page shows it to `userId`, and the page's change counter. */
  async function page(userId: string): Promise<{ version: number; view: { id: string; title: { text: string }; blocks: Array<Record<string, unknown>> } | null }> {
    const res = await fetch(`${slack.url}/_sandbox/state?user=${userId}`, { headers: { 'x-signalroom-sandbox': '1' } });
    return (await res.json()) as never;
  }
  async function submitOnPage(userId: string, values: Record<string, string>) {
    const res = await fetch(`${slack.url}/_sandbox/submit`, { method: 'POST', headers: { 'x-signalroom-sandbox': '1', 'content-type': 'application/json' }, body: JSON.stringify({ userId, values }) });
    return (await res.json()) as Record<string, unknown>;
  }
  async function openReasonModal(userId: string): Promise<string> {
    const ts = await approvalMessage();
    const { triggerId } = await slack.click({ userId, channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'reject' });
    return (await webClient(slack).views.open({ trigger_id: triggerId, view: reasonModal as never })).view!.id!;
  }

  test('an update Slack would refuse leaves the modal as it was, and the person is told', async () => {
    const rootId = await openReasonModal('U0DAVE');
    // A title over 24 characters and a section with neither text nor fields: views.update refuses both.
    app.onPayload = () => ({ response_action: 'update', view: { type: 'modal', title: { type: 'plain_text', text: 'A title far too long for Slack' }, blocks: [{ type: 'section' }] } });
    const result = await slack.submitView({ userId: 'U0DAVE', values: { reason: 'the canary is failing' } });
    expect(result).toMatchObject({ sent: true, responseAction: 'update', refused: { error: 'invalid_form_data' } });
    expect(result.refused!.messages).toEqual(
      expect.arrayContaining(['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]', '[ERROR] must contain either "text" or "fields" [json-pointer:/view/blocks/0]']),
    );
    expect(slack.openView('U0DAVE')).toMatchObject({ id: rootId, title: { text: 'Reject deployment' } });

    const onPage = await submitOnPage('U0DAVE', { reason: 'the canary is failing' });
    expect(onPage).toMatchObject({ ok: true, sent: true, responseAction: 'update', error: 'We had some trouble connecting. Try again?' });
    expect((await page('U0DAVE')).view).toMatchObject({ id: rootId, title: { text: 'Reject deployment' } });
  });

  test('a push shows the new view on the page, stacked on the first, at most two deep', async () => {
    const rootId = await openReasonModal('U0DAVE');
    const before = (await page('U0DAVE')).version;
    const confirm = (n: number) => ({
      response_action: 'push',
      view: { type: 'modal', title: { type: 'plain_text', text: `Confirm ${n}` }, submit: { type: 'plain_text', text: 'Yes' }, blocks: [{ type: 'input', label: { type: 'plain_text', text: 'Ticket' }, element: { type: 'plain_text_input', action_id: 'ticket' } }] },
    });
    let pushes = 0;
    app.onPayload = () => confirm(++pushes);
    const pushed = await slack.submitView({ userId: 'U0DAVE', values: { reason: 'the canary is failing' } });
    expect(pushed).toMatchObject({ sent: true, responseAction: 'push', openView: { previousViewId: rootId, rootViewId: rootId } });
    expect(pushed.refused).toBeUndefined();

    const shown = await page('U0DAVE');
    expect(shown.version).toBeGreaterThan(before);
    expect(shown.view).toMatchObject({ id: pushed.openView!.id, title: { text: 'Confirm 1' } });
    // Slack names the blocks and elements the app left unnamed, in a pushed view as in an opened one.
    const blockId = shown.view!.blocks[0]!.block_id as string;
    expect(blockId).toEqual(expect.any(String));

    const second = await slack.submitView({ userId: 'U0DAVE', values: { ticket: 'CHG-1' } });
    expect((app.received.at(-1)!.payload.view as { state: { values: Record<string, unknown> } }).state.values).toEqual({ [blockId]: { ticket: { type: 'plain_text_input', value: 'CHG-1' } } });
    expect(second).toMatchObject({ responseAction: 'push', openView: { title: { text: 'Confirm 2' } } });

    // Root and two pushed views: Slack's stack is full.
    const third = await slack.submitView({ userId: 'U0DAVE', values: { ticket: 'CHG-2' } });
    expect(third).toMatchObject({ responseAction: 'push', refused: { error: 'push_limit_reached' }, openView: { id: second.openView!.id } });

    app.onPayload = () => '';
    const closed = await slack.submitView({ userId: 'U0DAVE', values: { ticket: 'CHG-2' } });
    expect(closed).toMatchObject({ responseAction: 'close', openView: { id: pushed.openView!.id } });
    expect((await page('U0DAVE')).view).toMatchObject({ id: pushed.openView!.id, title: { text: 'Confirm 1' } });

    // Cancel on the page: back to the view beneath, then no modal.
    const cancel = () => fetch(`${slack.url}/_sandbox/close-view`, { method: 'POST', headers: { 'x-signalroom-sandbox': '1', 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'U0DAVE' }) });
    await cancel();
    expect((await page('U0DAVE')).view).toMatchObject({ id: rootId, title: { text: 'Reject deployment' } });
    await cancel();
    expect((await page('U0DAVE')).view).toBeNull();
  });
});

describe('an app that does not answer as it should', () => {
  async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const close = () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    };
    return { url: `http://127.0.0.1:${port}/slack/interactions`, close };
  }

  /** A click, from a sandbox whose deadline is 300 ms, to an app that answers with `handler`. */
  async function clickWithin300ms(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
    const short = await startSandbox({ rateLimits: false, signingSecret: 'test-signing-secret', interactivityTimeoutMs: 300 });
    const app = await serve(handler);
    try {
      short.setRequestUrl(app.url);
      const ts = (await webClient(short).chat.postMessage({ channel: 'C0DEPLOYS', text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' } }] }] })).ts!;
      return await short.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
    } finally {
      await app.close();
      await short.close();
    }
  }

  test('no answer within the deadline is recorded as a timeout, not as an answer', async () => {
    const result = await clickWithin300ms(() => undefined);
    expect(result.response).toMatchObject({ error: 'timeout', withinDeadline: false, body: '' });
    expect(result.response.status).toBeUndefined();
    expect(result.response.durationMs).toBeGreaterThanOrEqual(300);
  });

  test('an answer begun but not finished within the deadline is a timeout too', async () => {
    const result = await clickWithin300ms((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partly');
    });
    expect(result.response).toMatchObject({ error: 'timeout', withinDeadline: false });
  });

  test('a Request URL nothing listens on is a failed connection', async () => {
    const gone = await serve(() => undefined);
    await gone.close();
    slack.setRequestUrl(gone.url);
    const result = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: await approvalMessage(), actionId: 'approve' });
    expect(result.response).toMatchObject({ error: 'connection_failed', withinDeadline: false });
  });

  test('a redirect is recorded as the answer and not followed: the app must answer at its Request URL', async () => {
    const moved = await serve((_req, res) => res.writeHead(307, { location: app.url }).end());
    try {
      slack.setRequestUrl(moved.url);
      const result = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: await approvalMessage(), actionId: 'approve' });
      expect(result.response).toMatchObject({ status: 307 });
      expect(app.received).toHaveLength(0);
    } finally {
      await moved.close();
    }
  });
});

describe('waiting on the sandbox', () => {
  test('waitUntil resolves as the update that makes it true is applied, before Slack has even answered it', async () => {
    const ts = await approvalMessage();
    const order: string[] = [];
    const waiting = slack.waitUntil('the card to show the approval', () => slack.message('C0DEPLOYS', ts)?.text === 'Approved by carol').then(() => order.push('seen'));
    // Changes that do not make it true leave it waiting.
    await webClient(slack).chat.postMessage({ channel: 'C0DEPLOYS', text: 'unrelated' });
    await webClient(slack).chat.update({ channel: 'C0DEPLOYS', ts, text: 'Approved by nobody yet' });
    order.push('other changes answered');
    await webClient(slack).chat.update({ channel: 'C0DEPLOYS', ts, text: 'Approved by carol' });
    order.push('update answered');
    await waiting;
    expect(order).toEqual(['other changes answered', 'seen', 'update answered']);
  });

  test('waitUntil names what it waited for when the time is up', async () => {
    const ts = await approvalMessage();
    await expect(slack.waitUntil('a card that never changes', () => slack.message('C0DEPLOYS', ts)?.text === 'never', 200)).rejects.toThrow('the sandbox timed out after 200 ms waiting for a card that never changes');
  });
});
