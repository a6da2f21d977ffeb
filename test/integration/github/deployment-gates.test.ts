/**
 * GitHub deployment protection rules decided in Slack, on a real stack: the
 * GitHub stand-in sends `deployment_protection_rule.requested` signed as
 * GitHub does to the real HTTP server, the approval's card goes to the
 * sandbox's #deploys, people click, and the worker answers GitHub's review
 * endpoint as the App's installation. Every assertion is what someone sees:
 * GitHub's delivery log and run, the card, the approval's result.
 */
import { APPROVE_ACTION, REJECT_ACTION } from '../../../core/slack/blocks/approval-card';
import type { ApprovalResult } from '../../../core/approval/types';
import { card, CHANNEL, eventually, toldTo, visibleText } from '../../support/approvals';
import { answerOf, githubGateStack, uniqueRunId, REPO, type GitHubGateStack } from '../../support/github';

let s: GitHubGateStack;
beforeAll(async () => {
  s = await githubGateStack();
});
afterAll(() => s?.close());

const approvalIdOf = (environment: string, runId: number) => `approval:${REPO}:${environment}:${runId}`;
const postedCard = (runId: number) => eventually('the approval card', () => card(s.sandbox, String(runId)));
const cardSays = (runId: number, fragment: string) =>
  eventually(`the card to say "${fragment}"`, () => {
    const c = card(s.sandbox, String(runId));
    return c && visibleText(c).includes(fragment) && c;
  });
const click = async (userId: string, runId: number, actionId: string) => {
  const c = card(s.sandbox, String(runId))!;
  const r = await s.sandbox.click({ userId, channelId: CHANNEL, messageTs: c.ts, actionId });
  expect(r.response.status).toBe(200);
};
const resultOf = (environment: string, runId: number) => s.client.workflow.getHandle(approvalIdOf(environment, runId)).result() as Promise<ApprovalResult>;
const reviewed = (runId: number) => eventually('GitHub to receive the review', () => s.github.reviews(runId).find((r) => r.status === 204));

test('approve: the card shows what GitHub waits on; the requester may not approve; an approval lets the job go on', async () => {
  const { runId, run, delivery } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', sender: 'dave-gh' });
  expect(answerOf(delivery)).toEqual({ status: 202, body: { outcome: 'started', message: 'the approval was started', approvalId: approvalIdOf('production', runId) } });
  expect(delivery.response.durationMs).toBeLessThan(10_000);

  const posted = await postedCard(runId);
  const text = visibleText(posted);
  expect(text).toContain(`Approval needed: ${REPO} › production`);
  expect(text).toContain(`commit ${run.sha.slice(0, 7)} (main)`);
  expect(text).toContain(`workflow run ${runId} (push), triggered by GitHub user dave-gh`);
  expect(text).toContain('*Requested by*\n<@U0DAVE>');
  expect(JSON.stringify(posted.blocks)).toContain(`<${run.htmlUrl}|Open the pipeline run>`);

  // dave triggered the deployment: his GitHub login maps to him, so he cannot approve it himself.
  await click('U0DAVE', runId, APPROVE_ACTION);
  await eventually('dave to be told', () => toldTo(s.sandbox, 'U0DAVE').find((t) => t.includes('you requested this run, and self-approval is not allowed')));
  expect(s.github.run(runId)?.gate).toBe('pending');

  await click('U0CAROL', runId, APPROVE_ACTION);
  await cardSays(runId, 'Approved by <@U0CAROL>');
  const review = await reviewed(runId);
  expect(review).toMatchObject({ environmentName: 'production', state: 'approved', installationId: s.installationId });
  expect(review.comment).toMatch(/^Approved in Slack by Carol/);
  expect(review.comment).toContain(`Run: ${run.htmlUrl}`);
  expect(s.github.run(runId)).toMatchObject({ gate: 'approved', status: 'in_progress' });
  expect(await resultOf('production', runId)).toMatchObject({ status: 'approved', proceed: true });
  expect(s.github.violations()).toEqual([]);
});

test('reject: GitHub is told rejected, naming who rejected, and the job fails', async () => {
  const { runId } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', sender: 'someone-else' });
  const posted = await postedCard(runId);
  // Not mapped: named by GitHub login on the card, and nobody is the requester.
  expect(visibleText(posted)).toContain('triggered by GitHub user someone-else (not mapped to a Slack user: github.users)');
  expect(visibleText(posted)).toContain('*Requested by*\nunknown');

  await click('U0DAVE', runId, REJECT_ACTION);
  await cardSays(runId, 'Rejected by <@U0DAVE>');
  const review = await reviewed(runId);
  expect(review).toMatchObject({ state: 'rejected' });
  expect(review.comment).toMatch(/^Rejected in Slack by Dave/);
  expect(s.github.run(runId)).toMatchObject({ gate: 'rejected', status: 'completed', conclusion: 'failure' });
  expect(await resultOf('production', runId)).toMatchObject({ status: 'rejected', proceed: false });
});

test('expiry: nobody decides in time, and GitHub is told rejected', async () => {
  const { runId } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'staging', sender: 'dave-gh' });
  await postedCard(runId);
  expect(await resultOf('staging', runId)).toMatchObject({ status: 'expired', proceed: false });
  const review = await reviewed(runId);
  expect(review).toMatchObject({ environmentName: 'staging', state: 'rejected' });
  expect(review.comment).toContain('the approval expired, which rejects this deployment');
});

test('a replayed delivery starts nothing more: one approval, one card', async () => {
  const { runId, deliveryId } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', sender: 'dave-gh' });
  await postedCard(runId);
  const again = await s.github.redeliver(deliveryId);
  expect(answerOf(again)).toEqual({ status: 200, body: { outcome: 'duplicate', message: `delivery ${deliveryId} was received already: nothing was started again` } });
  expect(s.sandbox.messages(CHANNEL).filter((m) => m.text.includes(`(${runId})`))).toHaveLength(1);
  await click('U0CAROL', runId, APPROVE_ACTION);
  await reviewed(runId);
  expect(s.github.reviews(runId)).toHaveLength(1);
});

test('a repository or environment not configured starts nothing, and the answer and the metrics say why', async () => {
  const other = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: 'octo-org/docs', environment: 'production' });
  expect(answerOf(other.delivery)).toEqual({
    status: 200,
    body: { outcome: 'not_configured', message: 'octo-org/docs is not under github.apps.deploys.repositories: nothing was started', repository: 'octo-org/docs', environment: 'production' },
  });
  const qa = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'qa' });
  expect(answerOf(qa.delivery).body).toMatchObject({ outcome: 'not_configured', message: `the environment "qa" of ${REPO} is not under github.apps.deploys.repositories.${REPO}: nothing was started` });

  for (const [environment, runId] of [['production', other.runId], ['qa', qa.runId]] as const) {
    await expect(s.client.workflow.getHandle(`approval:${environment === 'qa' ? REPO : 'octo-org/docs'}:${environment}:${runId}`).describe()).rejects.toThrow(/not found/i);
    expect(card(s.sandbox, String(runId))).toBeUndefined();
  }
  const metrics = await (await fetch(`${s.serverUrl}/metrics`)).text();
  expect(metrics).toMatch(/signalroom_github_deliveries_total\{outcome="not_configured"\} 2/);
});

test('GitHub answering 5xx is retried; a 422 then (the run was cancelled meanwhile) ends the approval as cancelled, card included', async () => {
  const { runId } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', sender: 'dave-gh' });
  await postedCard(runId);
  s.github.faults.inject('actions/review-custom-gates-for-run', { kind: '502' });
  s.github.faults.inject('actions/review-custom-gates-for-run', { kind: 'cancel_run' });
  await click('U0CAROL', runId, APPROVE_ACTION);

  const result = await resultOf('production', runId);
  expect(result).toMatchObject({ status: 'cancelled', proceed: false });
  expect(result.outcomeNote).toContain(`GitHub no longer waits on ${REPO} run ${runId} (production)`);
  const calls = s.github.calls('actions/review-custom-gates-for-run').filter((c) => c.url.includes(`/runs/${runId}/`));
  expect(calls.map((c) => c.status)).toEqual([502, 422]);
  await cardSays(runId, `GitHub no longer waits on ${REPO} run ${runId}`);
  expect(s.github.run(runId)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
});

test('a review for a run that already finished: GitHub answers 422, and the approval ends as cancelled', async () => {
  const { runId } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', sender: 'dave-gh' });
  await postedCard(runId);
  s.github.finishRun(runId, 'cancelled');
  await click('U0CAROL', runId, APPROVE_ACTION);
  const result = await resultOf('production', runId);
  expect(result).toMatchObject({ status: 'cancelled', proceed: false });
  expect(result.outcomeNote).toContain('has completed (cancelled)');
  const final = await cardSays(runId, 'Cancelled');
  expect(visibleText(final)).toContain(`GitHub no longer waits on ${REPO} run ${runId}`);
});
