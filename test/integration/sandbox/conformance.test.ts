/**
 * Walks every method in Slack's published metadata (src/sandbox/slack-api):
 * each one answers a good call, refuses no token (not_authed), a bad token
 * (invalid_auth), each missing required argument and a token without its
 * scopes (missing_scope with needed and provided) — and every error code the
 * sandbox returned is one Slack lists for that method.
 */
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { UNLISTED_COMMON_ERRORS } from '../../../src/sandbox/metadata';
import { expectOnlyListedErrors, jsonOf, webClient } from '../../support/sandbox';

let slack: Sandbox;
const methods = () => [...slack.metadata.methods.values()];

beforeAll(async () => {
  slack = await startSandbox({ rateLimits: false });
});
afterAll(async () => {
  expectOnlyListedErrors(slack);
  await slack.close();
});

let counter = 0;
const unique = (p: string) => `${p}-${Date.now().toString(36)}-${counter++}`;

async function post(text = 'fixture'): Promise<string> {
  const r = await webClient(slack).chat.postMessage({ channel: 'C0DEPLOYS', text });
  return r.ts!;
}

async function freshChannel(archived = false): Promise<string> {
  const web = webClient(slack);
  const c = await web.conversations.create({ name: unique('conf') });
  if (archived) await web.conversations.archive({ channel: c.channel!.id! });
  return c.channel!.id!;
}

async function triggerId(): Promise<string> {
  const web = webClient(slack);
  const r = await web.chat.postMessage({
    channel: 'C0DEPLOYS',
    text: 'open a modal',
    blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'open', text: { type: 'plain_text', text: 'Open' } }] }],
  });
  const click = await slack.click({ userId: 'U0ALICE', channelId: 'C0DEPLOYS', messageTs: r.ts!, actionId: 'open' });
  return click.triggerId;
}

const modal = { type: 'modal', title: { type: 'plain_text', text: 'Reason' }, submit: { type: 'plain_text', text: 'Send' }, blocks: [{ type: 'input', block_id: 'why', label: { type: 'plain_text', text: 'Why?' }, element: { type: 'plain_text_input', action_id: 'text' } }] };

/** Arguments that make each method succeed with the bot token. */
/** A file whose bytes reached the upload URL, ready for files.completeUploadExternal. */
async function uploadedFile(): Promise<string> {
  const ticket = await webClient(slack).files.getUploadURLExternal({ filename: 'graph.png', length: 3 });
  const res = await fetch(ticket.upload_url!, { method: 'POST', body: Buffer.from('png') });
  expect(await res.text()).toBe('OK - 3');
  return ticket.file_id!;
}

const SAMPLES: Record<string, () => Promise<Record<string, unknown>>> = {
  'files.getUploadURLExternal': async () => ({ filename: 'graph.png', length: 1024 }),
  'files.completeUploadExternal': async () => ({ files: JSON.stringify([{ id: await uploadedFile(), title: 'Graph' }]), channel_id: 'C0DEPLOYS' }),
  'conversations.canvases.create': async () => ({ channel_id: await freshChannel(), title: 'Postmortem', document_content: JSON.stringify({ type: 'markdown', markdown: '# Postmortem' }) }),
  'auth.test': async () => ({}),
  'bookmarks.add': async () => ({ channel_id: 'C0DEPLOYS', title: 'Dashboard', type: 'link', link: 'https://grafana.example.com/d/1' }),
  'chat.delete': async () => ({ channel: 'C0DEPLOYS', ts: await post() }),
  'chat.getPermalink': async () => ({ channel: 'C0DEPLOYS', message_ts: await post() }),
  'chat.postEphemeral': async () => ({ channel: 'C0DEPLOYS', user: 'U0ALICE', text: 'only you' }),
  'chat.postMessage': async () => ({ channel: 'C0DEPLOYS', text: 'hello' }),
  'chat.scheduleMessage': async () => ({ channel: 'C0DEPLOYS', text: 'later', post_at: Math.floor(Date.now() / 1000) + 3600 }),
  'chat.update': async () => ({ channel: 'C0DEPLOYS', ts: await post(), text: 'edited' }),
  'conversations.archive': async () => ({ channel: await freshChannel() }),
  'conversations.create': async () => ({ name: unique('create') }),
  'conversations.history': async () => ({ channel: 'C0DEPLOYS' }),
  'conversations.info': async () => ({ channel: 'C0DEPLOYS' }),
  'conversations.invite': async () => ({ channel: await freshChannel(), users: 'U0BOB' }),
  'conversations.join': async () => ({ channel: 'C0GENERAL' }),
  'conversations.list': async () => ({ types: 'public_channel,private_channel' }),
  'conversations.members': async () => ({ channel: 'C0DEPLOYS' }),
  'conversations.replies': async () => ({ channel: 'C0DEPLOYS', ts: await post() }),
  'conversations.setPurpose': async () => ({ channel: 'C0DEPLOYS', purpose: 'Deployment approvals' }),
  'conversations.setTopic': async () => ({ channel: 'C0DEPLOYS', topic: 'Release train 42' }),
  'conversations.unarchive': async () => ({ channel: await freshChannel(true) }),
  'oauth.v2.access': async () => {
    const redirect = 'http://127.0.0.1:9/slack/oauth_redirect';
    const authorize = `${slack.url}/oauth/v2/authorize?client_id=${encodeURIComponent(slack.oauthApp.clientId)}&scope=chat:write&redirect_uri=${encodeURIComponent(redirect)}&state=s1`;
    const code = new URL(await slack.authorize(authorize)).searchParams.get('code');
    return { client_id: slack.oauthApp.clientId, client_secret: slack.oauthApp.clientSecret, code, redirect_uri: redirect };
  },
  'pins.add': async () => ({ channel: 'C0DEPLOYS', timestamp: await post() }),
  'reactions.add': async () => ({ channel: 'C0DEPLOYS', timestamp: await post(), name: 'white_check_mark' }),
  'usergroups.list': async () => ({ include_users: true }),
  'usergroups.users.list': async () => ({ usergroup: 'S0ONCALL' }),
  'users.info': async () => ({ user: 'U0ALICE' }),
  'users.list': async () => ({}),
  'users.lookupByEmail': async () => ({ email: 'alice@example.com' }),
  'views.open': async () => ({ trigger_id: await triggerId(), view: modal }),
  'views.publish': async () => ({ user_id: 'U0ALICE', view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Home' } }] } }),
  'views.update': async () => {
    const opened = await webClient(slack).views.open({ trigger_id: await triggerId(), view: modal as never });
    return { view_id: opened.view!.id, view: { ...modal, title: { type: 'plain_text', text: 'Updated' } } };
  },
};

async function call(method: string, args: Record<string, unknown>, token?: string | null): Promise<Record<string, unknown>> {
  const web = webClient(slack, token);
  try {
    return (await web.apiCall(method, args)) as unknown as Record<string, unknown>;
  } catch (err) {
    const e = err as { data?: Record<string, unknown> };
    if (!e.data) throw err;
    return e.data;
  }
}

test('the metadata has every method Signalroom uses, and the sandbox has a sample for each', () => {
  expect(methods().length).toBeGreaterThanOrEqual(31);
  expect(Object.keys(SAMPLES).sort()).toEqual(methods().map((m) => m.name).sort());
});

test('every method answers a good call', async () => {
  for (const m of methods()) {
    const result = await call(m.name, await SAMPLES[m.name]!());
    expect({ method: m.name, ok: result.ok, error: result.error }).toEqual({ method: m.name, ok: true, error: undefined });
  }
});

test('every method that takes a token refuses none (not_authed) and a bad one (invalid_auth)', async () => {
  for (const m of methods().filter((x) => x.required.includes('token'))) {
    const args = await SAMPLES[m.name]!();
    const none = await call(m.name, args, null);
    // A WebClient without a token sends no Authorization header at all.
    expect({ method: m.name, error: none.error }).toEqual({ method: m.name, error: 'not_authed' });
    const bad = await call(m.name, args, 'xoxb-0000-not-a-token');
    expect({ method: m.name, error: bad.error }).toEqual({ method: m.name, error: 'invalid_auth' });
  }
});

test('every required argument left out is refused with an error Slack lists for the method', async () => {
  for (const m of methods()) {
    for (const arg of m.required.filter((a) => a !== 'token')) {
      const args = await SAMPLES[m.name]!();
      delete args[arg];
      const result = await call(m.name, args);
      expect({ method: m.name, arg, ok: result.ok }).toEqual({ method: m.name, arg, ok: false });
      expect(slack.metadata.isListedError(m.name, String(result.error))).toBe(true);
    }
  }
});

test('a token without the method scope gets missing_scope, with needed and provided', async () => {
  const unscoped = slack.createToken({ scopes: ['users:read'] });
  for (const m of methods().filter((x) => (x.scopes.bot ?? []).length > 0 && !(x.scopes.bot ?? []).includes('users:read'))) {
    const result = await call(m.name, await SAMPLES[m.name]!(), unscoped);
    expect({ method: m.name, error: result.error }).toEqual({ method: m.name, error: 'missing_scope' });
    expect(String(result.needed).split(',')).toEqual(m.scopes.bot);
    expect(result.provided).toBe('users:read');
  }
});

test('a user token of a method with no user scopes, and oauth.v2.access with a bad client, get listed errors', async () => {
  const result = await call('oauth.v2.access', { client_id: 'nope', client_secret: 'x', code: 'y' }, null);
  expect(result.error).toBe('invalid_client_id');
  const wrongSecret = await call('oauth.v2.access', { client_id: slack.oauthApp.clientId, client_secret: 'x', code: 'y' }, null);
  expect(wrongSecret.error).toBe('bad_client_secret');
  const badCode = await call('oauth.v2.access', { client_id: slack.oauthApp.clientId, client_secret: slack.oauthApp.clientSecret, code: 'y' }, null);
  expect(badCode.error).toBe('invalid_code');
});

test('an unknown method is unknown_method, and malformed bodies get Slack-style errors', async () => {
  const res = await fetch(`${slack.apiUrl}chat.postMessagex`, { method: 'POST', headers: { authorization: `Bearer ${slack.botToken}` } });
  expect(res.status).toBe(404);
  expect((await jsonOf(res)).error).toBe('unknown_method');
  const bad = await fetch(`${slack.apiUrl}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json' }, body: '{not json' });
  expect((await jsonOf(bad)).error).toBe('invalid_form_data');
  const json = await fetch(`${slack.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ channel: 'C0DEPLOYS', text: 'as JSON', blocks: [{ type: 'divider' }] }),
  });
  expect((await jsonOf(json)).ok).toBe(true);
});

test('the only error the sandbox adds to Slack\'s published lists is invalid_auth, which the common list leaves out', () => {
  expect([...UNLISTED_COMMON_ERRORS]).toEqual(['invalid_auth']);
  expect(slack.metadata.commonErrors.has('invalid_auth')).toBe(false);
  expect(slack.metadata.methods.get('auth.test')!.errors.has('invalid_auth')).toBe(true);
});
