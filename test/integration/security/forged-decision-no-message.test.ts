/**
 * Attack: a web page in the developer's browser signals an approval as
 * carol through the Temporal dev server that `signalroom dev` starts — its
 * HTTP API (`POST …/signal/approvalDecision`, `Content-Type: text/plain`, any
 * Origin) — with a decision whose provenance names no card message. The
 * workflow's message check failed open when the message was absent.
 */
import { startApproval } from '../../../src/approvals/client';
import { startDevServer, type RunningDevServer } from '../../../src/temporal/dev-server';
import { approvalDecisionSignal, approvalStateQuery } from '../../../workflows/messages';
import { card, uniqueExecution } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack();
});
afterAll(() => s?.close());

async function pendingApproval() {
  const execution = uniqueExecution('forged');
  const { workflowId } = await startApproval(s.client, { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }, s.worker.taskQueue);
  await eventually('the card', () => card(s.sandbox, execution));
  return s.client.workflow.getHandle(workflowId);
}

test('a decision whose provenance names no card message (or no channel) is refused and recorded as refused', async () => {
  const handle = await pendingApproval();
  // What anyone able to signal the workflow can send: the right app, the card's channel, but no message.
  await handle.signal(approvalDecisionSignal, { verb: 'approve', user: { id: 'U0CAROL' }, provenance: { integrations: ['organization'], teamId: 'T0SANDBOX', channelId: CHANNEL } });
  await handle.signal(approvalDecisionSignal, { verb: 'approve', user: { id: 'U0DAVE' }, provenance: { integrations: ['organization'], teamId: 'T0SANDBOX' } });
  const state = await eventually('both refusals', async () => {
    const st = await handle.query(approvalStateQuery);
    return st.refused.length === 2 && st;
  });
  expect(state.status).toBe('pending');
  expect(state.decisions).toEqual([]);
  expect(state.refused.map((r) => [r.user.id, r.why])).toEqual([
    ['U0CAROL', 'the click does not say which message it comes from'],
    ['U0DAVE', 'the click does not say which channel it comes from'],
  ]);
});

describe('the dev server `signalroom dev` starts', () => {
  let dev: RunningDevServer;
  beforeAll(async () => {
    dev = await startDevServer({ cliPath: process.env.SIGNALROOM_TEST_TEMPORAL_CLI!, headless: true, withoutSearchAttributes: true });
  });
  afterAll(() => dev?.stop());

  test('answers no HTTP API call a web page can make: a text/plain signal from a foreign Origin is 403', async () => {
    expect(dev.httpPort).toEqual(expect.any(Number));
    const res = await fetch(`http://127.0.0.1:${dev.httpPort}/api/v1/namespaces/default/workflows/approval%3Aapi%3Aprod%3A1/signal/approvalDecision`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
      body: JSON.stringify({ input: [{ verb: 'approve', user: { id: 'U0CAROL' }, provenance: { integrations: ['organization'] } }] }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ code: 7, message: 'Host not allowed' });
    // Nor its read side: the namespace's workflows.
    expect((await fetch(`http://127.0.0.1:${dev.httpPort}/api/v1/namespaces/default/workflows`)).status).toBe(403);
  });
});
