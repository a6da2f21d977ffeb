/** Slack's rules the sandbox enforces, through @slack/web-api as an app sees them. */
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { expectOnlyListedErrors, jsonOf, slackError, webClient } from '../../support/sandbox';

let slack: Sandbox;
beforeEach(async () => {
  slack = await startSandbox({ rateLimits: false });
});
afterEach(async () => {
  expectOnlyListedErrors(slack);
  await slack.close();
});

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (over: Record<string, unknown> = {}) => ({ type: 'button', text: { type: 'plain_text', text: 'Approve' }, action_id: 'approve', value: 'v', ...over });

describe('chat.update as Slack documents it', () => {
  test('without blocks the message keeps its blocks; an empty array removes them; text alone changes only the text', async () => {
    const web = webClient(slack);
    const posted = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'Deploy api', blocks: [section('*Deploy* api'), section('Requested by carol')] });
    await web.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts!, text: 'Deploy api (edited)' });
    expect(slack.message('C0DEPLOYS', posted.ts!)).toMatchObject({ text: 'Deploy api (edited)', blocks: [{ text: { text: '*Deploy* api' } }, { text: { text: 'Requested by carol' } }] });
    await web.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts!, text: 'Deploy api (done)', blocks: [] });
    expect(slack.message('C0DEPLOYS', posted.ts!)!.blocks).toBeUndefined();
  });

  test('without metadata the message keeps it; an empty object removes it', async () => {
    const web = webClient(slack);
    const posted = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'card', metadata: { event_type: 'card', event_payload: { id: '1' } } });
    await web.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts!, text: 'card (edited)' });
    expect(slack.message('C0DEPLOYS', posted.ts!)!.metadata).toEqual({ event_type: 'card', event_payload: { id: '1' } });
    await web.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts!, text: 'card (final)', metadata: {} as never });
    expect(slack.message('C0DEPLOYS', posted.ts!)!.metadata).toBeUndefined();
  });
});

describe('the demo workspace', () => {
  test('has people, groups and channels in Slack shapes; the bot is in #deploys and #incidents only', async () => {
    const web = webClient(slack);
    const alice = await web.users.lookupByEmail({ email: 'alice@example.com' });
    expect(alice.user).toMatchObject({ id: 'U0ALICE', name: 'alice', profile: { email: 'alice@example.com' } });
    const groups = await web.usergroups.list({ include_users: true });
    expect(groups.usergroups!.map((g) => g.handle).sort()).toEqual(['oncall', 'release-managers', 'sre-team']);
    const members = await web.usergroups.users.list({ usergroup: groups.usergroups!.find((g) => g.handle === 'release-managers')!.id! });
    expect(members.users).toEqual(['U0CAROL', 'U0DAVE']);
    const list = await web.conversations.list({});
    const byName = Object.fromEntries(list.channels!.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['deploys', 'general', 'incidents']);
    expect([byName.general!.is_member, byName.deploys!.is_member, byName.incidents!.is_member]).toEqual([false, true, true]);
    expect(slack.defaultTeamId).toBe('T0SANDBOX');
    for (const c of list.channels!) expect(c.id).toMatch(/^C[A-Z0-9]+$/);
  });

  test('emails are hidden from a token without users:read.email', async () => {
    const token = slack.createToken({ scopes: ['users:read'] });
    const info = await webClient(slack, token).users.info({ user: 'U0ALICE' });
    expect(info.user!.profile!.email).toBeUndefined();
  });

  test('message timestamps are in Slack\'s shape and strictly increasing', async () => {
    const web = webClient(slack);
    const ts: string[] = [];
    for (let i = 0; i < 5; i++) ts.push((await web.chat.postMessage({ channel: 'C0DEPLOYS', text: `m${i}` })).ts!);
    for (const t of ts) expect(t).toMatch(/^\d{10}\.\d{6}$/);
    expect([...ts].sort()).toEqual(ts);
    expect(new Set(ts).size).toBe(5);
  });
});

describe('channel names', () => {
  test.each([
    ['Incident-42', 'invalid_name_specials'],
    ['inc 42', 'invalid_name_specials'],
    ['inc.42', 'invalid_name_specials'],
    ['a'.repeat(81), 'invalid_name_maxlength'],
    ['---', 'invalid_name_punctuation'],
  ])('%s is refused with %s', async (name, error) => {
    expect(await slackError(webClient(slack).conversations.create({ name }))).toBe(error);
  });

  test('80 characters of lowercase letters, digits, - and _ are fine', async () => {
    const name = `inc_2024-${'x'.repeat(71)}`;
    const r = await webClient(slack).conversations.create({ name });
    expect(r.channel!.name).toBe(name);
    expect(slack.channelByName(name)!.members.has(slack.botUserId)).toBe(true);
  });

  test('name_taken also for an archived channel', async () => {
    const web = webClient(slack);
    const c = await web.conversations.create({ name: 'inc-archived' });
    await web.conversations.archive({ channel: c.channel!.id! });
    expect(await slackError(web.conversations.create({ name: 'inc-archived' }))).toBe('name_taken');
    expect(await slackError(web.conversations.create({ name: 'general' }))).toBe('name_taken');
  });

  test('a private channel needs groups:write, a public one channels:manage', async () => {
    const publicOnly = webClient(slack, slack.createToken({ scopes: ['channels:manage', 'chat:write'] }));
    expect(await slackError(publicOnly.conversations.create({ name: 'secret', is_private: true }))).toBe('missing_scope');
    const r = await publicOnly.conversations.create({ name: 'open' });
    expect(r.channel!.is_private).toBe(false);
  });
});

describe('who may post where', () => {
  test('a public channel the bot has not joined needs chat:write.public', async () => {
    const without = webClient(slack, slack.createToken({ scopes: ['chat:write'] }));
    expect(await slackError(without.chat.postMessage({ channel: 'C0GENERAL', text: 'hi' }))).toBe('not_in_channel');
    const withPublic = await webClient(slack).chat.postMessage({ channel: 'C0GENERAL', text: 'hi' });
    expect(withPublic.ok).toBe(true);
  });

  test('a private channel the bot is not in does not exist for it, even with chat:write.public', async () => {
    const [secret] = slack.seedChannels([{ name: 'secret', isPrivate: true, members: ['alice'] }]);
    expect(await slackError(webClient(slack).chat.postMessage({ channel: secret!.id, text: 'hi' }))).toBe('channel_not_found');
    expect(await slackError(webClient(slack).conversations.info({ channel: secret!.id }))).toBe('channel_not_found');
    slack.channel(secret!.id)!.members.add(slack.botUserId);
    expect((await webClient(slack).chat.postMessage({ channel: secret!.id, text: 'hi' })).ok).toBe(true);
  });

  test('an archived channel refuses posts', async () => {
    const web = webClient(slack);
    const c = await web.conversations.create({ name: 'inc-old' });
    await web.conversations.archive({ channel: c.channel!.id! });
    expect(await slackError(web.chat.postMessage({ channel: c.channel!.id!, text: 'late' }))).toBe('is_archived');
  });

  test('posting by channel name and to a person (their DM) works as in Slack', async () => {
    const web = webClient(slack);
    const r = await web.chat.postMessage({ channel: '#deploys', text: 'by name' });
    expect(r.channel).toBe('C0DEPLOYS');
    const dm = await web.chat.postMessage({ channel: 'U0BOB', text: 'hello bob' });
    expect(dm.channel).toMatch(/^D/);
  });

  test('history needs the bot in the channel', async () => {
    expect(await slackError(webClient(slack).conversations.history({ channel: 'C0GENERAL' }))).toBe('not_in_channel');
  });
});

describe('Block Kit limits', () => {
  const post = (blocks: unknown[]) => webClient(slack).chat.postMessage({ channel: 'C0DEPLOYS', text: 'fallback', blocks: blocks as never });
  async function refusal(blocks: unknown[]) {
    try {
      await post(blocks);
    } catch (err) {
      const data = (err as { data: { error: string; response_metadata?: { messages?: string[] } } }).data;
      return { error: data.error, messages: data.response_metadata?.messages ?? [] };
    }
    throw new Error('expected invalid_blocks');
  }

  test('50 blocks are fine, 51 are not', async () => {
    expect((await post(Array.from({ length: 50 }, () => ({ type: 'divider' })))).ok).toBe(true);
    expect(await refusal(Array.from({ length: 51 }, () => ({ type: 'divider' })))).toEqual({ error: 'invalid_blocks', messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] });
  });

  test('section text over 3000 characters', async () => {
    expect(await refusal([section('x'.repeat(3001))])).toEqual({ error: 'invalid_blocks', messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] });
    expect((await post([section('x'.repeat(3000))])).ok).toBe(true);
  });

  test('button value over 2000 and action_id over 255 characters', async () => {
    const r = await refusal([{ type: 'actions', elements: [button({ value: 'v'.repeat(2001), action_id: 'a'.repeat(256) })] }]);
    expect(r.error).toBe('invalid_blocks');
    expect(r.messages).toEqual(
      expect.arrayContaining(['[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]', '[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]']),
    );
  });

  test('unknown block types, header mrkdwn and malformed JSON', async () => {
    expect((await refusal([{ type: 'banner' }])).error).toBe('invalid_blocks');
    expect((await refusal([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }])).error).toBe('invalid_blocks');
    const raw = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: 'C0DEPLOYS', blocks: '[{"type":' }),
    });
    expect((await jsonOf(raw)).error).toBe('invalid_blocks_format');
  });

  test('a message needs text or blocks; text over 40000 characters is refused where Slack refuses it', async () => {
    const web = webClient(slack);
    expect(await slackError(web.chat.postMessage({ channel: 'C0DEPLOYS' } as never))).toBe('no_text');
    expect(await slackError(web.chat.postEphemeral({ channel: 'C0DEPLOYS', user: 'U0ALICE', text: 'x'.repeat(40_001) }))).toBe('msg_too_long');
    const long = await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'x'.repeat(40_001) });
    expect(slack.message('C0DEPLOYS', long.ts!)!.text).toHaveLength(40_000);
  });

  test('blocks get block_ids and action_ids as Slack assigns them', async () => {
    const r = await post([section('hi'), { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Go' } }] }]);
    const stored = slack.message('C0DEPLOYS', r.ts!)!.blocks as Array<{ block_id: string; elements?: Array<{ action_id: string }> }>;
    expect(stored[0]!.block_id).toBeTruthy();
    expect(stored[1]!.elements![0]!.action_id).toBeTruthy();
  });
});

describe('workspace state', () => {
  test('threads, edits, metadata, pins, reactions, bookmarks, topic and purpose', async () => {
    const web = webClient(slack);
    const parent = await web.chat.postMessage({
      channel: 'C0INCIDENTS',
      text: 'Incident 42',
      metadata: { event_type: 'incident_opened', event_payload: { id: '42' } },
    });
    const reply = await web.chat.postMessage({ channel: 'C0INCIDENTS', text: 'update 1', thread_ts: parent.ts! });
    // A reply to a reply lands in the parent's thread.
    await web.chat.postMessage({ channel: 'C0INCIDENTS', text: 'update 2', thread_ts: reply.ts! });
    await web.chat.update({ channel: 'C0INCIDENTS', ts: parent.ts!, text: 'Incident 42 (resolved)' });
    await web.pins.add({ channel: 'C0INCIDENTS', timestamp: parent.ts! });
    expect(await slackError(web.pins.add({ channel: 'C0INCIDENTS', timestamp: parent.ts! }))).toBe('already_pinned');
    await web.reactions.add({ channel: 'C0INCIDENTS', timestamp: parent.ts!, name: 'eyes' });
    await web.bookmarks.add({ channel_id: 'C0INCIDENTS', title: 'Dashboard', type: 'link', link: 'https://grafana.example.com' });
    await web.conversations.setTopic({ channel: 'C0INCIDENTS', topic: 'SEV1: checkout down' });

    expect(slack.replies('C0INCIDENTS', parent.ts!).map((m) => m.text)).toEqual(['update 1', 'update 2']);
    const m = slack.message('C0INCIDENTS', parent.ts!)!;
    expect(m.text).toBe('Incident 42 (resolved)');
    expect(m.edits.map((e) => e.text)).toEqual(['Incident 42']);
    expect(m.metadata).toEqual({ event_type: 'incident_opened', event_payload: { id: '42' } });
    const channel = slack.channel('C0INCIDENTS')!;
    expect(channel.pins.has(parent.ts!)).toBe(true);
    expect(channel.bookmarks.map((b) => b.title)).toEqual(['Dashboard']);
    expect(channel.topic.value).toBe('SEV1: checkout down');

    // Newest first: Slack's line about the topic, then the parent with its thread.
    const history = await web.conversations.history({ channel: 'C0INCIDENTS' });
    expect(history.messages![0]).toMatchObject({ subtype: 'channel_topic', topic: 'SEV1: checkout down' });
    expect(history.messages![1]).toMatchObject({ ts: parent.ts, reply_count: 2, metadata: { event_type: 'incident_opened' }, edited: { user: slack.botUserId } });
    const replies = await web.conversations.replies({ channel: 'C0INCIDENTS', ts: parent.ts! });
    expect(replies.messages!.map((x) => x.text)).toEqual(['Incident 42 (resolved)', 'update 1', 'update 2']);
  });

  test('only the poster may update or delete; people cannot post metadata', async () => {
    const web = webClient(slack);
    const bobPost = slack.postAsUser({ userId: 'U0BOB', channelId: 'C0INCIDENTS', text: 'on it' });
    expect(await slackError(web.chat.update({ channel: 'C0INCIDENTS', ts: bobPost.ts, text: 'x' }))).toBe('cant_update_message');
    expect(await slackError(web.chat.delete({ channel: 'C0INCIDENTS', ts: bobPost.ts }))).toBe('cant_delete_message');
    const userToken = webClient(slack, slack.createToken({ type: 'user', userId: 'alice', scopes: ['chat:write'] }));
    expect(await slackError(userToken.chat.postMessage({ channel: 'C0INCIDENTS', text: 'x', metadata: { event_type: 'x', event_payload: {} } }))).toBe('metadata_must_be_sent_from_app');
  });

  test('invites, joins, ephemerals and scheduled messages', async () => {
    const web = webClient(slack);
    const c = await web.conversations.create({ name: 'inc-7', is_private: true });
    await web.conversations.invite({ channel: c.channel!.id!, users: 'U0ALICE,U0BOB' });
    expect(await slackError(web.conversations.invite({ channel: c.channel!.id!, users: 'U0ALICE' }))).toBe('already_in_channel');
    expect(await slackError(web.conversations.invite({ channel: c.channel!.id!, users: 'U0NOBODY' }))).toBe('user_not_found');
    expect((await web.conversations.members({ channel: c.channel!.id! })).members!.sort()).toEqual(['U0ALICE', 'U0BOB', slack.botUserId].sort());
    expect(await slackError(web.conversations.join({ channel: c.channel!.id! }))).toBe('method_not_supported_for_channel_type');
    await web.conversations.join({ channel: 'C0GENERAL' });
    expect(slack.channel('C0GENERAL')!.members.has(slack.botUserId)).toBe(true);

    await web.chat.postEphemeral({ channel: c.channel!.id!, user: 'U0ALICE', text: 'just you' });
    expect(await slackError(web.chat.postEphemeral({ channel: c.channel!.id!, user: 'U0ERIN', text: 'x' }))).toBe('user_not_in_channel');
    expect(slack.ephemerals({ userId: 'U0ALICE' }).map((e) => e.text)).toEqual(['just you']);

    const now = Math.floor(Date.now() / 1000);
    expect(await slackError(web.chat.scheduleMessage({ channel: 'C0DEPLOYS', text: 'x', post_at: now - 10 }))).toBe('time_in_past');
    const s = await web.chat.scheduleMessage({ channel: 'C0DEPLOYS', text: 'reminder', post_at: now + 60 });
    expect(slack.scheduled('C0DEPLOYS').map((x) => x.id)).toEqual([s.scheduled_message_id]);
    slack.advanceClock(61_000);
    const posted = slack.deliverDueScheduled();
    expect(posted.map((m) => m.text)).toEqual(['reminder']);
  });

  test('more than one workspace: a token sees only its own', async () => {
    const team = slack.addWorkspace({ name: 'Acme', users: [{ name: 'zoe', email: 'zoe@acme.test' }], channels: [{ name: 'ops', members: ['zoe', 'bot'] }] });
    const acme = webClient(slack, slack.createToken({ teamId: team.id, scopes: ['chat:write', 'channels:read', 'users:read.email'] }));
    const ops = slack.channelByName('ops', team.id)!;
    expect((await acme.chat.postMessage({ channel: ops.id, text: 'hi acme' })).ok).toBe(true);
    expect(await slackError(acme.chat.postMessage({ channel: 'C0DEPLOYS', text: 'x' }))).toBe('channel_not_found');
    expect(await slackError(acme.users.lookupByEmail({ email: 'alice@example.com' }))).toBe('users_not_found');
    expect((await acme.auth.test()).team_id).toBe(team.id);
  });

  test('revoked tokens and reset', async () => {
    const token = slack.createToken({ scopes: ['chat:write'] });
    slack.revokeToken(token);
    expect(await slackError(webClient(slack, token).chat.postMessage({ channel: 'C0DEPLOYS', text: 'x' }))).toBe('account_inactive');
    await webClient(slack).chat.postMessage({ channel: 'C0DEPLOYS', text: 'before reset' });
    slack.reset();
    expect(slack.messages('C0DEPLOYS')).toEqual([]);
    expect(slack.calls()).toEqual([]);
    expect((await webClient(slack).auth.test()).ok).toBe(true);
  });

  test('reset forgets canvases, uploads and modals too', async () => {
    const web = webClient(slack);
    const canvas = { channel_id: 'C0DEPLOYS', title: 'Runbook', document_content: { type: 'markdown' as const, markdown: '# Steps' } };
    await web.conversations.canvases.create(canvas);
    const upload = await web.files.getUploadURLExternal({ filename: 'log.txt', length: 3 });
    const ts = (await web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'go', text: { type: 'plain_text', text: 'Go' } }] }] })).ts!;
    const { triggerId } = await slack.click({ userId: 'U0DAVE', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'go' });
    await web.views.open({ trigger_id: triggerId, view: { type: 'modal', title: { type: 'plain_text', text: 'Hi' }, blocks: [] } });
    slack.reset();
    expect(slack.canvases('C0DEPLOYS')).toEqual([]);
    expect(slack.file(upload.file_id!)).toBeUndefined();
    expect(slack.openView('U0DAVE')).toBeUndefined();
    expect((await web.conversations.canvases.create(canvas)).ok).toBe(true);
  });
});
