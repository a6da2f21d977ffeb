/**
 * `github` in signalroom.yaml: a gate's approver groups, project and
 * connector must be configured, and what a timeout means is the groups'
 * policy; refused when the file loads, naming the line and field. And what
 * Signalroom reads of a delivery to build the approval.
 */
import { ConfigError, parseConfig } from '../../../src/config/load';
import { ConfigSchema } from '../../../src/config/schema';
import { deploymentApprovalRequest, parseDeploymentReviewRequested } from '../../../src/github/deployment-gate';
import { gatePolicy } from '../../../src/github/apps';

const yaml = (production: string) => `approverGroups:
  release: { users: [U0CAROL] }
github:
  apps:
    deploys:
      appId: 1001
      privateKey: /etc/signalroom/github-app.pem
      webhookSecret: a-webhook-secret-0123456789
      installations: [2001]
      repositories:
        octo-org/web:
          production: ${production}
`;

function problems(text: string) {
  try {
    parseConfig(text, 'signalroom.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

test('a gate naming an approver group, project or connector configured nowhere is refused where it is written', () => {
  expect(problems(yaml('{ approverGroups: [releese], channel: "#deploys", project: web, connector: pay }'))).toEqual([
    expect.objectContaining({ line: 12, field: 'github.apps.deploys.repositories.octo-org/web.production.approverGroups.0', message: 'no approver group "releese" is configured under approverGroups (did you mean "release"?)' }),
    expect.objectContaining({ field: 'github.apps.deploys.repositories.octo-org/web.production.connector', message: 'no connector "pay" is configured under slack.connectors' }),
    expect.objectContaining({ field: 'github.apps.deploys.repositories.octo-org/web.production.project', message: 'no project "web" is configured under projects' }),
  ]);
});

test('a timeout that approves needs every group to allow it', () => {
  expect(problems(yaml('{ approverGroups: [release], channel: "#deploys", onTimeout: approve }'))).toEqual([
    expect.objectContaining({ field: 'github.apps.deploys.repositories.octo-org/web.production.onTimeout', message: 'onTimeout: approve needs allowApproveOnTimeout on every approver group; release does not allow it' }),
  ]);
  expect(problems(yaml('{ approverGroups: [release], channel: "#deploys", timeout: 4hours }'))).toEqual([expect.objectContaining({ field: 'github.apps.deploys.repositories.octo-org/web.production.timeout' })]);
  expect(problems(yaml('{ approverGroups: [release], channel: "#deploys", timeout: 4h }'))).toEqual([]);
});

test('a delivery becomes the approval of its repository, environment and run; the repository and environment are found whatever their case', () => {
  const config = ConfigSchema.parse({
    github: {
      apps: { deploys: { appId: 1001, privateKey: 'k.pem', webhookSecret: 'a-webhook-secret-0123456789', installations: [2001], repositories: { 'Octo-Org/Web': { Production: { approverGroups: ['release'], channel: '#deploys', minApprovals: 2 } } } } },
      users: { Mona: 'U0MONA' },
    },
  });
  const parsed = parseDeploymentReviewRequested({
    action: 'requested',
    environment: 'production',
    sha: 'f7c71a5a2583418d19fcbe5ca7a0c3df6f957929',
    ref: 'refs/heads/main',
    event: 'push',
    deployment_callback_url: 'https://api.github.com/repos/octo-org/web/actions/runs/4242/deployment_protection_rule',
    repository: { full_name: 'octo-org/web', html_url: 'https://github.com/octo-org/web' },
    installation: { id: 2001 },
    sender: { login: 'mona' },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const named = { name: 'deploys', app: config.github.apps.deploys };
  const gate = gatePolicy(named, parsed.value.repository, parsed.value.environment);
  if (!('policy' in gate)) throw new Error(gate.why);
  expect(deploymentApprovalRequest(config.github, named, gate.policy, parsed.value)).toEqual({
    pipeline: 'octo-org/web',
    stage: 'production',
    execution: '4242',
    link: 'https://github.com/octo-org/web/actions/runs/4242',
    summary: 'Deploy octo-org/web at commit f7c71a5 (main) to production: workflow run 4242 (push), triggered by GitHub user mona',
    requestedBy: 'U0MONA',
    approverGroups: ['release'],
    minApprovals: 2,
    destination: { channel: '#deploys' },
    notify: [{ kind: 'github', app: 'deploys', installationId: 2001, repository: 'octo-org/web', environment: 'production', runId: 4242, runUrl: 'https://github.com/octo-org/web/actions/runs/4242' }],
  });
});

test("a delivery whose callback URL names another repository's run is malformed", () => {
  const parsed = parseDeploymentReviewRequested({
    environment: 'production',
    deployment_callback_url: 'https://api.github.com/repos/other/repo/actions/runs/1/deployment_protection_rule',
    repository: { full_name: 'octo-org/web' },
    installation: { id: 2001 },
    sender: { login: 'mona' },
  });
  expect(parsed).toEqual({ ok: false, field: 'deployment_callback_url', message: 'deployment_callback_url does not name a run of octo-org/web' });
});
