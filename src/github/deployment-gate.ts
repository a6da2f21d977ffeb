/**
 * From a verified `deployment_protection_rule.requested` delivery to the
 * approval it asks for. The delivery's signature proves GitHub sent it for
 * the App; its fields say which repository, environment, run and person.
 * Where the approval goes and who decides come from configuration only
 * (README, "Gate GitHub deployments"; SECURITY.md).
 */
import type { ApprovalRequest, OutcomeTarget } from '../../core/approval/types';
import type { GitHubConfig, GitHubGatePolicy } from '../config/schema';
import { slackUserOf, type NamedGitHubApp } from './apps';

/** What Signalroom reads of the delivery. */
export interface DeploymentReviewRequested {
  installationId: number;
  repository: string;
  /** The repository's page, `https://github.com/owner/name` (GitHub Enterprise Server: its host). */
  repositoryUrl?: string;
  environment: string;
  runId: number;
  sha: string;
  ref?: string;
  event?: string;
  sender: string;
}

type Parsed = { ok: true; value: DeploymentReviewRequested } | { ok: false; field: string; message: string };

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const text = (v: unknown, max = 255): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);
const httpUrl = (v: unknown): string | undefined => {
  const s = text(v, 2000);
  return s && /^https?:\/\/[^\s<>|]+$/.test(s) ? s : undefined;
};

/**
 * The run id is only in `deployment_callback_url`
 * (`…/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`).
 * Signalroom reads the id from it and never calls it: the answer goes to the
 * configured `apiUrl`.
 */
const CALLBACK = /\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d{1,19})\/deployment_protection_rule$/;

export function parseDeploymentReviewRequested(payload: unknown): Parsed {
  const p = obj(payload);
  if (!p) return { ok: false, field: 'body', message: 'the delivery is not a JSON object' };
  const installationId = obj(p.installation)?.id;
  if (typeof installationId !== 'number' || !Number.isSafeInteger(installationId)) return { ok: false, field: 'installation.id', message: 'the delivery names no installation' };
  const repo = obj(p.repository);
  const repository = text(repo?.full_name);
  if (!repository || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) return { ok: false, field: 'repository.full_name', message: 'the delivery names no repository (owner/name)' };
  const environment = text(p.environment);
  if (!environment) return { ok: false, field: 'environment', message: 'the delivery names no environment' };
  const callback = text(p.deployment_callback_url, 2000);
  const m = callback ? CALLBACK.exec(callback) : null;
  if (!m || m[1].toLowerCase() !== repository.toLowerCase()) return { ok: false, field: 'deployment_callback_url', message: `deployment_callback_url does not name a run of ${repository}` };
  const runId = Number(m[2]);
  if (!Number.isSafeInteger(runId)) return { ok: false, field: 'deployment_callback_url', message: 'the run id is out of range' };
  const sender = text(obj(p.sender)?.login, 100);
  if (!sender) return { ok: false, field: 'sender.login', message: 'the delivery names nobody who triggered it' };
  const deployment = obj(p.deployment);
  const sha = text(p.sha, 64) ?? text(deployment?.sha, 64) ?? '';
  return {
    ok: true,
    value: { installationId, repository, repositoryUrl: httpUrl(repo?.html_url), environment, runId, sha, ref: text(p.ref), event: text(p.event, 100), sender },
  };
}

/** The run's page on GitHub, when the delivery gave the repository's. */
export function runUrlOf(r: Pick<DeploymentReviewRequested, 'repositoryUrl' | 'runId'>): string | undefined {
  return r.repositoryUrl ? `${r.repositoryUrl.replace(/\/+$/, '')}/actions/runs/${r.runId}` : undefined;
}

/**
 * The approval a deployment waits on: pipeline = repository, stage =
 * environment, execution = run id (one approval per run and environment:
 * `approval:octo-org/web:production:4242`). The requester is the person
 * who triggered it, as configuration maps their login to Slack; an
 * unmapped login is named on the card as a GitHub login, and matched to nobody.
 */
export function deploymentApprovalRequest(github: GitHubConfig, named: NamedGitHubApp, policy: GitHubGatePolicy, r: DeploymentReviewRequested): ApprovalRequest {
  const slackUser = slackUserOf(github, r.sender);
  const runUrl = runUrlOf(r);
  const commit = r.sha ? r.sha.slice(0, 7) : 'an unknown commit';
  const branch = r.ref ? ` (${r.ref.replace(/^refs\/heads\//, '')})` : '';
  const who = slackUser ? `GitHub user ${r.sender}` : `GitHub user ${r.sender} (not mapped to a Slack user: github.users)`;
  const target: OutcomeTarget = { kind: 'github', app: named.name, installationId: r.installationId, repository: r.repository, environment: r.environment, runId: r.runId, ...(runUrl ? { runUrl } : {}) };
  return {
    pipeline: r.repository,
    stage: r.environment,
    execution: String(r.runId),
    ...(runUrl ? { link: runUrl } : {}),
    summary: `Deploy ${r.repository} at commit ${commit}${branch} to ${r.environment}: workflow run ${r.runId}${r.event ? ` (${r.event})` : ''}, triggered by ${who}`,
    ...(slackUser ? { requestedBy: slackUser } : {}),
    approverGroups: [...policy.approverGroups],
    ...(policy.minApprovals !== undefined ? { minApprovals: policy.minApprovals } : {}),
    ...(policy.timeout !== undefined ? { timeout: policy.timeout } : {}),
    ...(policy.onTimeout !== undefined ? { onTimeout: policy.onTimeout } : {}),
    ...(policy.rejectionNeedsReason !== undefined ? { rejectionNeedsReason: policy.rejectionNeedsReason } : {}),
    destination: { channel: policy.channel, ...(policy.project ? { project: policy.project } : {}), ...(policy.connector ? { connector: policy.connector } : {}) },
    notify: [target],
  };
}
