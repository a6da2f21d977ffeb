/**
 * Attack: a delivery is replayed — GitHub's "Redeliver" button pressed
 * again, or a captured delivery (its signature has no timestamp, so it stays
 * valid) sent once more, including after the first approval was decided — to
 * post a second card for the same deployment and have it decided by someone
 * else. A delivery id acts once: the replay starts nothing, and GitHub is
 * answered once.
 */
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { card, CHANNEL, eventually } from '../../support/approvals';
import { answerOf, githubGateStack, uniqueRunId, REPO, type GitHubGateStack } from '../../support/github';

let s: GitHubGateStack;
beforeAll(async () => {
  s = await githubGateStack();
});
afterAll(() => s?.close());

test('a replayed delivery starts no second approval, before or after the first is decided', async () => {
  const { runId, deliveryId } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: REPO, environment: 'production', sender: 'dave-gh' });
  const posted = await eventually('the card', () => card(s.sandbox, String(runId)));
  const duplicate = { status: 200, body: { outcome: 'duplicate', message: `delivery ${deliveryId} was received already: nothing was started again` } };

  expect(answerOf(await s.github.redeliver(deliveryId))).toEqual(duplicate);
  await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  const handle = s.client.workflow.getHandle(`approval:${REPO}:production:${runId}`);
  expect(await handle.result()).toMatchObject({ status: 'approved' });

  // After the decision, the same delivery again: still nothing.
  expect(answerOf(await s.github.redeliver(deliveryId))).toEqual(duplicate);
  expect(s.sandbox.messages(CHANNEL).filter((m) => m.text.includes(`(${runId})`))).toHaveLength(1);
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  expect(s.github.reviews(runId).map((r) => [r.state, r.status])).toEqual([['approved', 204]]);
});
