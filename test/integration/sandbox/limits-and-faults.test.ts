/** Rate limits (on by default, as in Slack) and injected faults, as @slack/web-api sees them. */
import { ErrorCode } from '@slack/web-api';
import { startSandbox, type Sandbox } from '../../../src/sandbox';
import { expectOnlyListedErrors, webClient } from '../../support/sandbox';
import { eventually } from '../../support/eventually';

let slack: Sandbox;
afterEach(async () => {
  expectOnlyListedErrors(slack);
  await slack.close();
});

async function outcome(call: Promise<unknown>): Promise<{ code?: string; retryAfter?: number; statusCode?: number }> {
  try {
    await call;
    return {};
  } catch (err) {
    const e = err as { code?: string; retryAfter?: number; statusCode?: number };
    return { code: e.code, retryAfter: e.retryAfter, statusCode: e.statusCode };
  }
}

describe('rate limits', () => {
  test('chat.postMessage allows a burst per channel, then answers 429 with Retry-After; other channels are unaffected', async () => {
    slack = await startSandbox();
    const web = webClient(slack);
    const results = [];
    for (let i = 0; i < 25; i++) results.push(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: `burst ${i}` })));
    const limited = results.filter((r) => r.code === ErrorCode.RateLimitedError);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(results.slice(0, 20).every((r) => !r.code)).toBe(true);
    expect(await outcome(web.chat.postMessage({ channel: 'C0INCIDENTS', text: 'elsewhere' }))).toEqual({});
    // Messages refused with 429 were not posted.
    expect(slack.messages('C0DEPLOYS')).toHaveLength(25 - limited.length);
    const call = slack.calls('chat.postMessage').find((c) => c.status === 429)!;
    expect(call).toMatchObject({ error: 'ratelimited', retryAfter: expect.any(Number) });
  });

  test('tier 2 methods allow about 20 calls a minute per token', async () => {
    slack = await startSandbox();
    const web = webClient(slack);
    const results = [];
    for (let i = 0; i < 22; i++) results.push(await outcome(web.conversations.list({})));
    expect(results.some((r) => r.code === ErrorCode.RateLimitedError)).toBe(true);
    // Another token has its own budget.
    const other = webClient(slack, slack.createToken({ scopes: ['channels:read'] }));
    expect(await outcome(other.conversations.list({}))).toEqual({});
    // The window refills with time.
    slack.advanceClock(60_000);
    expect(await outcome(web.conversations.list({}))).toEqual({});
  });

  test('a test may turn rate limits off', async () => {
    slack = await startSandbox();
    slack.setRateLimits(false);
    const web = webClient(slack);
    for (let i = 0; i < 40; i++) expect(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: `m${i}` }))).toEqual({});
  });
});

describe('faults', () => {
  beforeEach(async () => {
    slack = await startSandbox({ rateLimits: false });
  });

  test('500 for the next N calls, then normal again', async () => {
    slack.faults.inject('chat.postMessage', { kind: '500', count: 2 });
    const web = webClient(slack);
    expect(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'a' }))).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });
    expect(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'b' }))).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 500 });
    expect(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'c' }))).toEqual({});
    expect(slack.messages('C0DEPLOYS').map((m) => m.text)).toEqual(['c']);
  });

  test('429 with the Retry-After asked for', async () => {
    slack.faults.inject('conversations.create', { kind: '429', retryAfterSeconds: 7 });
    expect(await outcome(webClient(slack).conversations.create({ name: 'inc-1' }))).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(slack.channelByName('inc-1')).toBeUndefined();
  });

  test('a hang outlasts the client timeout and changes nothing', async () => {
    slack.faults.inject('chat.postMessage', { kind: 'hang' });
    const web = webClient(slack, undefined, { timeout: 300 });
    expect(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'lost' }))).toMatchObject({ code: ErrorCode.RequestError });
    expect(slack.messages('C0DEPLOYS')).toEqual([]);
  });

  test('drop_response applies the call, then the client gets no answer', async () => {
    slack.faults.inject('chat.postMessage', { kind: 'drop_response' });
    const web = webClient(slack);
    expect(await outcome(web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'posted once' }))).toMatchObject({ code: ErrorCode.RequestError });
    expect(slack.messages('C0DEPLOYS').map((m) => m.text)).toEqual(['posted once']);
    expect(slack.calls('chat.postMessage')[0]).toMatchObject({ fault: 'drop_response', ok: true, status: undefined });
    // What an idempotent retry does: look before posting again.
    const history = await web.conversations.history({ channel: 'C0DEPLOYS' });
    expect(history.messages!.map((m) => m.text)).toEqual(['posted once']);
  });

  test('latency: the call is applied at once, the answer comes later (the window where a dying client loses it)', async () => {
    slack.setLatency(2_000);
    const web = webClient(slack);
    let answered = false;
    const posting = web.chat.postMessage({ channel: 'C0DEPLOYS', text: 'applied first' }).then(() => (answered = true));
    const applied = () => slack.messages('C0DEPLOYS').some((m) => m.text === 'applied first');
    await eventually('the message to be applied', applied, 2_000, 5);
    expect(answered).toBe(false);
    await posting;
    expect(answered).toBe(true);
  });

  test('latency holds a response_url answer too, after the reply is applied; an unknown response_url is as slow to refuse', async () => {
    const { ts } = await webClient(slack).chat.postMessage({ channel: 'C0DEPLOYS', text: 'card', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' } }] }] }) as { ts: string };
    const { responseUrl } = await slack.click({ userId: 'U0CAROL', channelId: 'C0DEPLOYS', messageTs: ts, actionId: 'approve' });
    slack.setLatency(1_000);
    let answered = false;
    const replying = fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'replied first' }) }).then((r) => ((answered = true), r.status));
    await eventually('the reply to be applied', () => slack.ephemerals({ userId: 'U0CAROL' }).some((e) => e.text === 'replied first'), 1_000, 5);
    expect(answered).toBe(false);
    expect(await replying).toBe(200);
    const unknown = fetch(`${slack.url}/actions/T0SANDBOX/1/nothing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' }).then((r) => r.status);
    expect(await Promise.race([unknown, new Promise((r) => setTimeout(() => r('still waiting'), 200))])).toBe('still waiting');
    expect(await unknown).toBe(404);
  });

  test('unknown methods cannot be faulted', () => {
    expect(() => slack.faults.inject('chat.postMesage', { kind: '500' })).toThrow(/unknown Web API method/);
  });
});
