/**
 * Where the sandbox used to be more lenient than Slack, Slack wins: several
 * invites with one person already in, a modal submission's `view.bot_id`,
 * channel system messages, Enterprise Grid clicks and slash commands. Each
 * case is what Slack documents (src/sandbox/slack-api and Slack's payload
 * references), seen through @slack/web-api or a signed request as an app
 * sees it.
 */
import { signRequest, startSandbox, type Sandbox } from '../../../src/sandbox';
import { startReceiver, type Receiver } from '../../support/sandbox-receiver';
import { expectOnlyListedErrors, webClient } from '../../support/sandbox';

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

/** The whole answer of a failed call (WebClient keeps it as `data`). */
async function failedAnswer(call: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await call;
  } catch (err) {
    const data = (err as { data?: Record<string, unknown> }).data;
    if (data) return data;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('conversations.invite with several people, one already in', () => {
  async function channelWithCarol(): Promise<string> {
    const web = webClient(slack);
    const c = await web.conversations.create({ name: `invite-${Date.now().toString(36)}` });
    await web.conversations.invite({ channel: c.channel!.id!, users: 'U0CAROL' });
    return c.channel!.id!;
  }

  test('answers already_in_channel with an errors entry for that person, and invites nobody', async () => {
    const channel = await channelWithCarol();
    const answer = await failedAnswer(webClient(slack).conversations.invite({ channel, users: 'U0BOB,U0CAROL,U0DAVE' }));
    expect(answer).toMatchObject({ ok: false, error: 'already_in_channel', errors: [{ user: 'U0CAROL', ok: false, error: 'already_in_channel' }] });
    expect([...slack.channel(channel)!.members]).not.toContain('U0BOB');
  });

  test('each person refused has an entry, in the order given; the first names the error', async () => {
    const channel = await channelWithCarol();
    const answer = await failedAnswer(webClient(slack).conversations.invite({ channel, users: 'U0NOBODY,U0CAROL,U0BOB' }));
    expect(answer).toMatchObject({
      error: 'user_not_found',
      errors: [
        { user: 'U0NOBODY', ok: false, error: 'user_not_found' },
        { user: 'U0CAROL', ok: false, error: 'already_in_channel' },
      ],
    });
  });

  test('with force=true the others are invited, and the answer still lists who was not', async () => {
    const channel = await channelWithCarol();
    const answer = await webClient(slack).conversations.invite({ channel, users: 'U0BOB,U0CAROL', force: true });
    expect(answer).toMatchObject({ ok: true, errors: [{ user: 'U0CAROL', ok: false, error: 'already_in_channel' }] });
    expect([...slack.channel(channel)!.members]).toEqual(expect.arrayContaining(['U0BOB', 'U0CAROL']));
  });
});

describe('view_submission', () => {
  test('view.bot_id is the bot (B…), view.app_id the app (A…), as in views.open\'s answer', async () => {
    const web = webClient(slack);
    const posted = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'open', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'open', text: { type: 'plain_text', text: 'Open' } }] }] });
    const click = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: posted.ts!, actionId: 'open' });
    const modal = { type: 'modal', callback_id: 'why', title: { type: 'plain_text', text: 'Why' }, submit: { type: 'plain_text', text: 'Send' }, blocks: [{ type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Why?' }, element: { type: 'plain_text_input', action_id: 'text' } }] };
    const opened = await web.views.open({ trigger_id: click.triggerId, view: modal as never });
    const auth = await web.auth.test();
    expect(opened.view).toMatchObject({ bot_id: auth.bot_id, app_id: 'A0SIGNALRM' });
    await slack.submitView({ userId: 'U0CAROL', values: { why: 'because' } });
    const view = app.received.at(-1)!.payload.view as Record<string, unknown>;
    expect(view.bot_id).toBe(auth.bot_id);
    expect(view.bot_id).toMatch(/^B/);
    expect(view.app_id).toMatch(/^A/);
  });
});

describe('channel system messages', () => {
  const page = (path: string) => fetch(`${slack.url}${path}`, { headers: { 'x-signalroom-sandbox': '1' } }).then((r) => r.json() as Promise<Record<string, any>>); // eslint-disable-line @typescript-eslint/no-explicit-any

  test('create, purpose, topic, invite, join and archive each leave the message Slack shows, with its subtype', async () => {
    const web = webClient(slack);
    const created = await web.conversations.create({ name: `sys-${Date.now().toString(36)}` });
    const channel = created.channel!.id!;
    await web.conversations.setPurpose({ channel, purpose: 'Incident 42' });
    await web.conversations.setTopic({ channel, topic: 'SEV1: checkout down' });
    await web.conversations.invite({ channel, users: 'U0BOB' });
    const carol = slack.createToken({ type: 'user', userId: 'U0CAROL', scopes: ['channels:write', 'channels:history'] });
    await webClient(slack, carol).conversations.join({ channel });
    // Joining again, or a refused invite, says nothing.
    await webClient(slack, carol).conversations.join({ channel });
    await failedAnswer(web.conversations.invite({ channel, users: 'U0BOB,U0DAVE' }));
    await web.conversations.archive({ channel });

    const history = await webClient(slack, carol).conversations.history({ channel });
    const seen = history.messages!.reverse().map((m) => ({ subtype: m.subtype, user: m.user, text: m.text, ...(m.inviter ? { inviter: m.inviter } : {}), ...(m.purpose !== undefined ? { purpose: m.purpose } : {}), ...(m.topic !== undefined ? { topic: m.topic } : {}) }));
    const bot = slack.botUserId;
    expect(seen).toEqual([
      { subtype: 'channel_join', user: bot, text: `<@${bot}> has joined the channel` },
      { subtype: 'channel_purpose', user: bot, text: `<@${bot}> set the channel purpose: Incident 42`, purpose: 'Incident 42' },
      { subtype: 'channel_topic', user: bot, text: `<@${bot}> set the channel topic: SEV1: checkout down`, topic: 'SEV1: checkout down' },
      { subtype: 'channel_join', user: 'U0BOB', text: '<@U0BOB> has joined the channel', inviter: bot },
      { subtype: 'channel_join', user: 'U0CAROL', text: '<@U0CAROL> has joined the channel' },
      { subtype: 'channel_archive', user: bot, text: `<@${bot}> archived the channel` },
    ]);
    expect(history.messages).toHaveLength(6);

    // People see them on the page, as Slack's grey lines.
    const state = await page(`/_sandbox/state?user=U0BOB`);
    const shown = state.channels.find((c: { id: string }) => c.id === channel);
    expect(shown.messages.map((m: { subtype: string | null }) => m.subtype)).toEqual(['channel_join', 'channel_purpose', 'channel_topic', 'channel_join', 'channel_join', 'channel_archive']);

    // A test's slack.messages() is what the app and people posted; Slack's own lines on request.
    expect(slack.messages(channel)).toEqual([]);
    expect(slack.messages(channel, { includeSystem: true })).toHaveLength(6);
  });

  test('a person posting on the page into a public channel joins it first, as Slack shows', async () => {
    slack.postAsUser({ userId: 'U0ERIN', channelId: 'C0DEPLOYS', text: 'hi' });
    expect(slack.messages('C0DEPLOYS', { includeSystem: true }).map((m) => [m.subtype ?? null, m.text])).toEqual([
      ['channel_join', '<@U0ERIN> has joined the channel'],
      [null, 'hi'],
    ]);
  });
});

describe('Enterprise Grid', () => {
  async function card(): Promise<string> {
    const r = await webClient(slack).chat.postMessage({ channel: 'C0DEPLOYS', text: 'Deploy?', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', value: 'run-1', text: { type: 'plain_text', text: 'Approve' } }] }] });
    return r.ts!;
  }

  test('the demo seed is an organization (E0SANDBOX) of two workspaces; #deploys is shared with the second', async () => {
    expect(slack.workspaces().map((w) => [w.id, w.enterpriseId])).toEqual([
      ['T0SANDBOX', 'E0SANDBOX'],
      ['T0LABS', 'E0SANDBOX'],
    ]);
    expect(slack.user('W0FRANK', 'T0LABS')).toMatchObject({ teamId: 'T0LABS', name: 'frank' });
    const auth = await webClient(slack).auth.test();
    expect(auth).toMatchObject({ team_id: 'T0SANDBOX', enterprise_id: 'E0SANDBOX', is_enterprise_install: false });
    const info = await webClient(slack).conversations.info({ channel: 'C0DEPLOYS' });
    expect(info.channel).toMatchObject({ is_org_shared: true, shared_team_ids: ['T0SANDBOX', 'T0LABS'] });
  });

  test('a click by a person of the other workspace carries the enterprise, the workspace clicked in and their own', async () => {
    const ts = await card();
    await slack.click({ userId: 'W0FRANK', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
    expect(app.received.at(-1)!.payload).toMatchObject({
      enterprise: { id: 'E0SANDBOX', name: 'Signalroom Sandbox Org' },
      is_enterprise_install: false,
      team: { id: 'T0SANDBOX' },
      user: { id: 'W0FRANK', team_id: 'T0LABS' },
    });
    expect(app.received.at(-1)!.signatureValid).toBe(true);
    await slack.click({ userId: 'U0ALICE', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
    expect(app.received.at(-1)!.payload).toMatchObject({ enterprise: { id: 'E0SANDBOX' }, team: { id: 'T0SANDBOX' }, user: { id: 'U0ALICE', team_id: 'T0SANDBOX' } });
  });

  test('a workspace outside any organization clicks with enterprise null', async () => {
    const solo = slack.addWorkspace({ id: 'T0SOLO', name: 'Solo', users: [{ id: 'U0SOLO', name: 'solo' }], channels: [{ id: 'C0SOLO', name: 'solo', members: ['solo', 'bot'] }] });
    const token = slack.createToken({ teamId: solo.id, scopes: ['chat:write'] });
    const r = await webClient(slack, token).chat.postMessage({ channel: 'C0SOLO', text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' } }] }] });
    await slack.click({ userId: 'U0SOLO', channelId: 'C0SOLO', messageTs: r.ts!, actionId: 'go' });
    expect(app.received.at(-1)!.payload).toMatchObject({ enterprise: null, is_enterprise_install: false, team: { id: 'T0SOLO' }, user: { team_id: 'T0SOLO' } });
  });

  test('on the page, the person of the other workspace sees the shared channel and clicks as themselves', async () => {
    const ts = await card();
    const headers = { 'x-signalroom-sandbox': '1', 'content-type': 'application/json' };
    const state = (await (await fetch(`${slack.url}/_sandbox/state?user=W0FRANK`, { headers })).json()) as { viewer: { teamId: string }; channels: Array<{ id: string }> };
    expect(state.viewer.teamId).toBe('T0LABS');
    expect(state.channels.map((c) => c.id)).toContain('C0DEPLOYS');
    const res = await fetch(`${slack.url}/_sandbox/click`, { method: 'POST', headers, body: JSON.stringify({ userId: 'W0FRANK', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' }) });
    expect(await res.json()).toMatchObject({ ok: true, status: 200 });
    expect(app.received.at(-1)!.payload).toMatchObject({ enterprise: { id: 'E0SANDBOX' }, user: { id: 'W0FRANK', team_id: 'T0LABS' } });
  });
});

describe('slash commands', () => {
  /** A stand-in app's command endpoint: checks the signature, keeps each body, answers `answer`. */
  async function commandApp(answer: unknown): Promise<{ url: string; bodies: URLSearchParams[]; close(): Promise<void> }> {
    const { createServer } = await import('node:http');
    const bodies: URLSearchParams[] = [];
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        bodies.push(new URLSearchParams(raw));
        const ts = Number(req.headers['x-slack-request-timestamp']);
        const valid = req.headers['x-slack-signature'] === signRequest('test-signing-secret', ts, raw);
        res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' }).end(valid ? JSON.stringify(answer) : '');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}/slack/commands`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  test('slashCommand sends Slack\'s full, signed body; an ephemeral answer is shown to the person only', async () => {
    const cmd = await commandApp({ response_type: 'ephemeral', text: 'No pending approvals for you to decide.' });
    try {
      slack.setSlashCommandUrl(cmd.url);
      const r = await slack.slashCommand({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', text: 'approvals' });
      expect(r.response.status).toBe(200);
      const body = Object.fromEntries(cmd.bodies[0]!);
      expect(body).toEqual({
        token: expect.any(String),
        team_id: 'T0SANDBOX',
        team_domain: 'signalroom-sandbox',
        enterprise_id: 'E0SANDBOX',
        enterprise_name: 'Signalroom Sandbox Org',
        channel_id: 'C0DEPLOYS',
        channel_name: 'deploys',
        user_id: 'U0CAROL',
        user_name: 'carol',
        command: '/signalroom',
        text: 'approvals',
        api_app_id: 'A0SIGNALRM',
        is_enterprise_install: 'false',
        response_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//),
        trigger_id: expect.stringMatching(/\./),
      });
      expect(r.reply).toEqual({ responseType: 'ephemeral', text: 'No pending approvals for you to decide.' });
      expect(slack.ephemerals({ userId: 'U0CAROL', channelId: 'C0DEPLOYS' }).map((e) => e.text)).toEqual(['No pending approvals for you to decide.']);
      // The response_url answers later, as for a click.
      expect((await fetch(body.response_url!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'later' }) })).status).toBe(200);
    } finally {
      await cmd.close();
    }
  });

  test('from the page: a message starting with /signalroom is the command, not a post', async () => {
    const cmd = await commandApp({ response_type: 'ephemeral', text: 'Help' });
    try {
      slack.setSlashCommandUrl(cmd.url);
      const res = await fetch(`${slack.url}/_sandbox/post`, { method: 'POST', headers: { 'x-signalroom-sandbox': '1', 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'W0FRANK', channelId: 'C0DEPLOYS', text: '/signalroom help me' }) });
      expect(await res.json()).toMatchObject({ ok: true, command: { status: 200 } });
      expect(Object.fromEntries(cmd.bodies[0]!)).toMatchObject({ command: '/signalroom', text: 'help me', user_id: 'W0FRANK', team_id: 'T0SANDBOX', enterprise_id: 'E0SANDBOX' });
      expect(slack.messages('C0DEPLOYS')).toEqual([]);
      expect(slack.ephemerals({ userId: 'W0FRANK' }).map((e) => e.text)).toEqual(['Help']);
    } finally {
      await cmd.close();
    }
  });
});
