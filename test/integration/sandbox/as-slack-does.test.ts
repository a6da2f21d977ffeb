/**
 * Where the sandbox used to be more lenient than Slack, Slack wins: several
 * invites with one person already in, a modal submission's `view.bot_id`,
 * channel system messages, Enterprise Grid clicks and slash commands. Each
 * case is what Slack documents (src/sandbox/slack-api and Slack's payload
 * references), seen through @slack/web-api or a signed request as an app
 * sees it.
 */
import { startSandbox, type Sandbox } from '../../../src/sandbox';
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
