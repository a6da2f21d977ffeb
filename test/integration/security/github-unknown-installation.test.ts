/**
 * Attack: Signalroom's GitHub App is public (or was installed somewhere
 * it should not be), and a stranger installs it on their own account. Their
 * deliveries are GitHub's, signed with the App's webhook secret: the
 * signature alone would let them post approval cards into the
 * organization's channels. Only the installations configuration lists are
 * heard; any other is refused with 401, and nothing starts.
 */
import { card } from '../../support/approvals';
import { answerOf, githubGateStack, uniqueRunId, STRANGER_REPO, type GitHubGateStack } from '../../support/github';

let s: GitHubGateStack;
beforeAll(async () => {
  s = await githubGateStack();
});
afterAll(() => s?.close());

test("a genuine delivery from an installation configuration does not list is refused with 401, and starts nothing", async () => {
  const { runId, delivery } = await s.github.requestDeploymentReview({ runId: uniqueRunId(), repo: STRANGER_REPO, environment: 'production', sender: 'dave-gh' });
  expect(delivery.installationId).toBe(s.strangerInstallationId);
  expect(answerOf(delivery)).toEqual({
    status: 401,
    body: { error: 'unknown_installation', outcome: 'unknown_installation', message: `installation ${s.strangerInstallationId} is not under github.apps.deploys.installations` },
  });
  await expect(s.client.workflow.getHandle(`approval:${STRANGER_REPO}:production:${runId}`).describe()).rejects.toThrow(/not found/i);
  expect(card(s.sandbox, String(runId))).toBeUndefined();
  expect(s.github.reviews(runId)).toEqual([]);
});
