/**
 * GitHub deployment gates on a real stack: the GitHub stand-in with one App
 * (a fresh key pair and webhook secret), and the server stack (sandbox
 * Slack, worker, HTTP server) configured with that App, its webhook URL
 * pointing at the server. The App's secrets join the suite's secrets scan.
 */
import { startGitHubStandIn, createGitHubAppFixture, type GitHubAppFixture, type GitHubStandIn } from '../../src/github-standin';
import { serverStack, type ServerStack } from './server-stack';
import { APPROVER_GROUPS, CHANNEL } from './approvals';

export const REPO = 'octo-org/web';
/** An installation of the App on another account, which configuration does not list. */
export const STRANGER_REPO = 'mallory-org/web';

export interface GitHubGateStack extends ServerStack {
  github: GitHubStandIn;
  fixture: GitHubAppFixture;
  installationId: number;
  strangerInstallationId: number;
}

/**
 * `octo-org/web`: `production` (release managers, 10 minutes) and `staging`
 * (expires after 3 seconds). dave's GitHub login `dave-gh` is mapped to his
 * Slack user; anyone else is not.
 */
export async function githubGateStack(): Promise<GitHubGateStack> {
  const installationId = 7_000_000 + Math.floor(Math.random() * 1_000_000);
  const strangerInstallationId = installationId + 1;
  const fixture = createGitHubAppFixture({
    installations: [
      { id: installationId, repositories: [REPO, 'octo-org/docs'] },
      { id: strangerInstallationId, repositories: [STRANGER_REPO] },
    ],
  });
  const github = await startGitHubStandIn({ apps: [fixture.app] });
  let stack: ServerStack;
  try {
    stack = await serverStack(() => ({
      approverGroups: APPROVER_GROUPS,
      github: {
        apps: {
          deploys: {
            appId: fixture.appId,
            privateKey: fixture.privateKey,
            webhookSecret: fixture.webhookSecret,
            apiUrl: github.apiUrl,
            installations: [installationId],
            repositories: {
              [REPO]: {
                production: { approverGroups: ['release'], channel: CHANNEL, timeout: '10m' },
                staging: { approverGroups: ['release'], channel: CHANNEL, timeout: '3s' },
              },
            },
          },
        },
        users: { 'dave-gh': 'U0DAVE' },
      },
    }));
  } catch (err) {
    await github.close();
    throw err;
  }
  github.setWebhookUrl(`${stack.serverUrl}/github/webhooks`);
  return {
    ...stack,
    github,
    fixture,
    installationId,
    strangerInstallationId,
    async close() {
      await stack.close();
      await github.close();
    },
  };
}

let runs = 0;
/**
 * A run id no other test file's stand-in uses (they share one Temporal dev
 * server, and an approval's id is its run's): the stand-in numbers its runs
 * from the same start in every process.
 */
export function uniqueRunId(): number {
  return (Date.now() % 1e9) * 1e6 + (process.pid % 1000) * 1000 + (runs++ % 1000);
}

/** The answer the App gave a delivery: its status and JSON body. */
export function answerOf(delivery: { response: { status?: number; body: string } }): { status?: number; body: Record<string, unknown> } {
  const text = delivery.response.body;
  return { status: delivery.response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
