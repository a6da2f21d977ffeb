/**
 * Attack: someone who knows Signalroom's webhook URL (it is in the App's
 * settings, and in every proxy log) POSTs a `deployment_protection_rule`
 * delivery of their own, to get an approval card for a deployment nobody
 * asked for, or to make Signalroom answer GitHub for a run. They sign it
 * with a secret they guess, sign it with nothing, or claim another App.
 * Each is refused with 401 before anything starts; nothing is recorded.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { card } from '../../support/approvals';
import { answerOf, githubGateStack, uniqueRunId, REPO, type GitHubGateStack } from '../../support/github';

let s: GitHubGateStack;
beforeAll(async () => {
  s = await githubGateStack();
});
afterAll(() => s?.close());

async function nothingStarted(runId: number) {
  await expect(s.client.workflow.getHandle(`approval:${REPO}:production:${runId}`).describe()).rejects.toThrow(/not found/i);
  expect(card(s.sandbox, String(runId))).toBeUndefined();
  expect(s.github.reviews(runId)).toEqual([]);
}

test('a delivery signed with another secret is refused with 401, and starts nothing', async () => {
  const { runId, delivery } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', signWith: 'a-guessed-secret-0123456789' });
  expect(answerOf(delivery)).toEqual({ status: 401, body: { error: 'bad_signature', outcome: 'bad_signature', message: 'X-Hub-Signature-256 does not match the webhook secret of github.apps.deploys' } });
  await nothingStarted(runId);
});

test('the same body without a signature, or with only the legacy SHA-1 one, is refused with 401', async () => {
  const { runId, delivery } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', signWith: 'a-guessed-secret-0123456789' });
  for (const drop of [['x-hub-signature-256', 'x-hub-signature'], ['x-hub-signature-256']]) {
    const headers = Object.fromEntries(Object.entries(delivery.headers).filter(([k]) => !drop.includes(k)));
    const res = await fetch(`${s.serverUrl}/github/webhooks`, { method: 'POST', headers: { ...headers, 'x-github-delivery': randomUUID() }, body: delivery.body });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 401, body: { error: 'bad_signature', outcome: 'bad_signature', message: 'the delivery carries no X-Hub-Signature-256' } });
  }
  await nothingStarted(runId);
});

test('a delivery claiming an App configured nowhere is refused with 401, whatever it is signed with', async () => {
  const { runId, delivery } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', signWith: 'the-attackers-own-app-secret-01' });
  const headers: Record<string, string> = { ...delivery.headers, 'x-github-hook-installation-target-id': '999999999', 'x-github-delivery': randomUUID() };
  headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', 'the-attackers-own-app-secret-01').update(delivery.body).digest('hex')}`;
  const res = await fetch(`${s.serverUrl}/github/webhooks`, { method: 'POST', headers, body: delivery.body });
  expect({ status: res.status, body: await res.json() }).toEqual({
    status: 401,
    body: { error: 'unknown_app', outcome: 'unknown_app', message: 'the delivery is not from a GitHub App configured here (X-GitHub-Hook-Installation-Target-ID 999999999)' },
  });
  await nothingStarted(runId);
  const metrics = await (await fetch(`${s.serverUrl}/metrics`)).text();
  expect(metrics).toMatch(/signalroom_github_deliveries_total\{outcome="bad_signature"\} 5/);
  expect(metrics).toMatch(/signalroom_github_deliveries_total\{outcome="unknown_app"\} 1/);
});
