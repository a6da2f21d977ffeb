/**
 * What a Slack client reports of each call for the usage metrics, against a
 * loopback HTTP server answering the way Slack does; and that the labels stay
 * within a known set whatever the server answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackClient } from '../../../src/slack/integrations';
import type { SlackCall } from '../../../src/slack/call-metrics';

let server: http.Server;
let apiUrl: string;

/** Answers by method name, as Slack would. */
const answers: Record<string, { status: number; body: unknown; headers?: Record<string, string> }> = {
  'chat.postMessage': { status: 200, body: { ok: true, channel: 'C1', ts: '1.1' } },
  'conversations.info': { status: 200, body: { ok: false, error: 'channel_not_found' } },
  'conversations.list': { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '7' } },
  'users.info': { status: 200, body: { ok: false, error: 'a_code_slack_never_documented_with_a_long_tail_0001' } },
  'admin.users.remove': { status: 200, body: { ok: true } },
  'pins.add': { status: 503, body: { ok: false } },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const method = (req.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
    const answer = answers[method] ?? { status: 404, body: { ok: false, error: 'unknown_method' } };
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function callsOf(method: string): Promise<SlackCall[]> {
  const seen: SlackCall[] = [];
  const client = slackClient('xoxb-test', apiUrl, 2000, { integration: 'connector:payments', observe: (c) => seen.push(c) });
  await client.apiCall(method, {}).catch(() => undefined);
  return seen;
}

test('a call Slack answers ok counts as ok under its integration and method, whichever way the client is called', async () => {
  const seen: SlackCall[] = [];
  const client = slackClient('xoxb-test', apiUrl, 2000, { integration: 'connector:payments', observe: (c) => seen.push(c) });
  await client.chat.postMessage({ channel: 'C1', text: 'hi' });
  await client.apiCall('chat.postMessage', { channel: 'C1', text: 'hi' });
  expect(seen).toEqual([
    { integration: 'connector:payments', method: 'chat.postMessage', outcome: 'ok' },
    { integration: 'connector:payments', method: 'chat.postMessage', outcome: 'ok' },
  ]);
});

test('a Slack error counts under its own code', async () => {
  expect(await callsOf('conversations.info')).toEqual([{ integration: 'connector:payments', method: 'conversations.info', outcome: 'channel_not_found' }]);
});

test('a 429 counts as rate_limited with the Retry-After Slack sent', async () => {
  expect(await callsOf('conversations.list')).toEqual([{ integration: 'connector:payments', method: 'conversations.list', outcome: 'rate_limited', retryAfterSeconds: 7 }]);
});

test('an HTTP error counts as http_error', async () => {
  expect(await callsOf('pins.add')).toEqual([{ integration: 'connector:payments', method: 'pins.add', outcome: 'http_error' }]);
});

test('an error code Slack does not list for the method counts as other_error, not as a new label', async () => {
  expect(await callsOf('users.info')).toEqual([{ integration: 'connector:payments', method: 'users.info', outcome: 'other_error' }]);
});

test('a method outside the published set counts as other', async () => {
  expect(await callsOf('admin.users.remove')).toEqual([{ integration: 'connector:payments', method: 'other', outcome: 'ok' }]);
});

test('a client without an observer reports nothing and still works', async () => {
  const client = slackClient('xoxb-test', apiUrl, 2000);
  await expect(client.chat.postMessage({ channel: 'C1', text: 'hi' })).resolves.toMatchObject({ ok: true, ts: '1.1' });
});
