/**
 * Attack: a click carrying `response_url=http://127.0.0.1:<port>/internal/admin`
 * makes the worker, or the server (for a finished run), POST to an internal
 * service. And: response URLs sitting in plain text in workflow histories,
 * where anyone who can read the Temporal UI can use them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApproval } from '../../../src/approvals/client';
import { postToResponseUrl } from '../../../src/slack/response-url';
import { OutboundClient, OutboundRefused } from '../../../src/net/outbound';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalDecisionSignal, approvalStateQuery } from '../../../workflows/messages';
import { card } from '../../support/approvals';
import { CHANNEL, clickPayload, eventually, formOf, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let internal: Server;
let hits: string[];
let internalUrl: string;
beforeAll(async () => {
  s = await securityStack();
  hits = [];
  internal = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    // An open redirect would be followed by a naive client: to Slack's look-alike, or back inside.
    res.writeHead(302, { location: `${internalUrl}/internal/after-redirect` }).end();
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => internal.close(r));
  await s?.close();
});

async function pendingApproval(execution: string) {
  const { workflowId } = await startApproval(s.client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }, s.worker.taskQueue);
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  return { workflowId, ts: posted.ts };
}

test('a click whose response_url points at an internal service is refused with 400, and nothing is posted there', async () => {
  const { workflowId, ts } = await pendingApproval(`ssrf-${Date.now().toString(36)}`);
  const click = clickPayload({ userId: 'U0ERIN', messageTs: ts, actionId: APPROVE_ACTION, value: workflowId, responseUrl: `${internalUrl}/internal/admin` });
  const res = await s.slackPost('/slack/interactions', formOf(click), s.sandbox.signingSecret);
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toEqual({ error: 'malformed_payload', field: 'payload.response_url', message: 'response_url must point at Slack (https://hooks.slack.com/ or https://hooks.slack-gov.com/)' });
  const state = await s.client.workflow.getHandle(workflowId).query(approvalStateQuery);
  expect(state.refused).toEqual([]);
  // The server's own answer for a finished run goes through the same check.
  const finished = clickPayload({ userId: 'U0ERIN', messageTs: ts, actionId: APPROVE_ACTION, value: 'approval:no:such:run', responseUrl: `${internalUrl}/internal/finished` });
  const malformedBefore = await clicksCounted('malformed');
  expect((await s.slackPost('/slack/interactions', formOf(finished), s.sandbox.signingSecret)).status).toBe(400);
  // Counted as malformed: refused while the payload was read, before any delivery (or answer to the clicker) was started.
  expect(await clicksCounted('malformed')).toBe(malformedBefore + 1);
  expect(hits).toEqual([]);
});

test('a signal carrying an internal URL (not from the server) makes the worker post nowhere', async () => {
  const { workflowId, ts } = await pendingApproval(`ssrf-signal-${Date.now().toString(36)}`);
  await s.client.workflow.getHandle(workflowId).signal(approvalDecisionSignal, {
    verb: 'approve',
    user: { id: 'U0ERIN' },
    provenance: { integrations: ['organization'], channelId: CHANNEL, messageTs: ts },
    channelId: CHANNEL,
    messageTs: ts,
    responseUrl: `${internalUrl}/internal/from-a-signal`,
  });
  // The refusal is recorded; the reply to it is refused by the activity (its failure is in the history), never sent.
  await eventually('the refusal', async () => ((await s.client.workflow.getHandle(workflowId).query(approvalStateQuery)).refused.length ? true : undefined));
  const failure = await eventually('the reply activity to fail', async () => {
    const history = await s.client.workflow.getHandle(workflowId).fetchHistory();
    return history.events?.map((e) => e.activityTaskFailedEventAttributes?.failure?.message).find((m) => m?.startsWith('Not answering through this response_url'));
  });
  expect(failure).toBe('Not answering through this response_url: response_url must point at Slack (https://hooks.slack.com/ or https://hooks.slack-gov.com/)');
  expect(hits).toEqual([]);
});

test('a real click is answered through its response_url, which never appears in plain text in the history', async () => {
  const { workflowId, ts } = await pendingApproval(`sealed-${Date.now().toString(36)}`);
  const { responseUrl } = await s.sandbox.click({ userId: 'U0ERIN', channelId: CHANNEL, messageTs: ts, actionId: APPROVE_ACTION });
  await eventually('the private answer', () => s.sandbox.ephemerals({ channelId: CHANNEL, userId: 'U0ERIN' }).find((e) => e.text.includes('not an approver')));
  const history = JSON.stringify(await s.client.workflow.getHandle(workflowId).fetchHistory());
  const decoded = [...history.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8')).join('\n');
  expect(decoded).toContain('sealed:v1:organization:');
  expect(`${history}\n${decoded}`).not.toContain(new URL(responseUrl).pathname);
});

test('a response_url that answers with a redirect is a refusal naming the host; the redirect is not followed', async () => {
  const before = hits.length;
  const host = new URL(internalUrl).host;
  await expect(postToResponseUrl(`${internalUrl}/actions/T0SANDBOX/1/redirecting`, { text: 'hi' }, { extraBases: [`${internalUrl}/actions/`] })).rejects.toThrow(
    new OutboundRefused(host, 'redirect', `${host} answered a redirect (HTTP 302), which is not followed: give the final URL`),
  );
  expect(hits.slice(before)).toEqual(['POST /actions/T0SANDBOX/1/redirecting']);
});

test("a response_url under the sandbox's /actions/ but on another loopback port is not the sandbox: refused, not sent", async () => {
  const before = hits.length;
  // Only the configured Slack's own origin may be on loopback; the allow-list of response URL bases is not an allow-list of addresses.
  const elsewhere = `${internalUrl}/actions/T0SANDBOX/1/x`;
  const outbound = new OutboundClient(s.integrations.outboundPolicy());
  await expect(postToResponseUrl(elsewhere, { text: 'hi' }, { extraBases: [`${internalUrl}/actions/`], outbound })).rejects.toThrow(`${new URL(internalUrl).host} is a loopback address`);
  expect(hits.slice(before)).toEqual([]);
});

async function clicksCounted(outcome: string): Promise<number> {
  const metrics = (await s.server.inject({ method: 'GET', url: '/metrics' })).body;
  const line = metrics.split('\n').find((l) => l.startsWith(`signalroom_slack_clicks_total{outcome="${outcome}"}`));
  return Number(line?.split(' ').pop() ?? NaN);
}
