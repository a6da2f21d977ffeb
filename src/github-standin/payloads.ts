/**
 * The stand-in's answers and deliveries, each built from one of GitHub's
 * published examples with the stand-in's own values put in: ids, names, and
 * URLs on the stand-in instead of github.com and api.github.com (a link to a
 * run opens the stand-in's page of that run). What comes out is checked
 * against the published schema by the caller.
 */
import type { GitHubDescriptions } from './description';
import type { App, GitHubUser, Installation, InstallationToken, Repository, WorkflowRun } from './state';

type Json = Record<string, unknown>;

/** `value` with every string occurrence of each key replaced by its value, in order. */
function rehome<T>(value: T, replacements: Array<[string, string]>): T {
  let text = JSON.stringify(value);
  for (const [from, to] of replacements) text = text.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
  return JSON.parse(text) as T;
}

function hostOf(baseUrl: string): string {
  return new URL(baseUrl).host;
}

/** github.com and api.github.com, as the examples have them, on the stand-in. */
function onStandIn(baseUrl: string): Array<[string, string]> {
  return [
    ['https://api.github.com/', `${baseUrl}/`],
    ['https://github.com/', `${baseUrl}/`],
    ['git://github.com/', `git://${hostOf(baseUrl)}/`],
    ['git@github.com:', `git@${hostOf(baseUrl)}:`],
  ];
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64');
}

/** A user in the shape of the example's `login`, with another login and id. */
function user(example: Json, exampleLogin: string, who: GitHubUser, baseUrl: string, type: 'User' | 'Organization' = 'User'): Json {
  const u = rehome(example, [[`/${exampleLogin}`, `/${who.login}`], ...onStandIn(baseUrl)]);
  return { ...u, login: who.login, id: who.id, node_id: nodeId(type === 'User' ? 'User' : 'Organization', who.id), avatar_url: `${baseUrl}/avatars/u/${who.id}`, type };
}

export function webhookRepository(d: GitHubDescriptions, repo: Repository, installation: Installation, baseUrl: string, nowMs: number): Json {
  const example = d.webhookExample.repository as Json;
  const exampleOwner = (example.owner as Json).login as string;
  const r = rehome(example, [[example.full_name as string, repo.fullName], ...onStandIn(baseUrl)]);
  return {
    ...r,
    id: repo.id,
    node_id: repo.nodeId,
    name: repo.name,
    full_name: repo.fullName,
    owner: user(example.owner as Json, exampleOwner, installation.account, baseUrl, installation.account.type),
    private: true,
    description: null,
    created_at: isoSeconds(nowMs - 86_400_000),
    updated_at: isoSeconds(nowMs),
    pushed_at: isoSeconds(nowMs),
    default_branch: 'main',
  };
}

export function webhookSender(d: GitHubDescriptions, sender: GitHubUser, baseUrl: string): Json {
  const example = d.webhookExample.sender as Json;
  return user(example, example.login as string, sender, baseUrl);
}

/** The `deployment_protection_rule` delivery of action `requested`, for a run. */
export function deploymentProtectionRuleRequested(d: GitHubDescriptions, o: { run: WorkflowRun; repo: Repository; installation: Installation; deploymentId: number; baseUrl: string; nowMs: number }): Json {
  const { run, repo, baseUrl } = o;
  const sender = webhookSender(d, run.sender, baseUrl);
  const deploymentExample = d.restExamples.deployment;
  const repoApi = `${baseUrl}/repos/${repo.fullName}`;
  const deployment: Json = {
    ...deploymentExample,
    url: `${repoApi}/deployments/${o.deploymentId}`,
    id: o.deploymentId,
    node_id: nodeId('Deployment', o.deploymentId),
    sha: run.sha,
    ref: run.ref.replace(/^refs\/heads\//, ''),
    task: 'deploy',
    payload: {},
    original_environment: run.environment,
    environment: run.environment,
    description: null,
    creator: sender,
    created_at: isoSeconds(o.nowMs),
    updated_at: isoSeconds(o.nowMs),
    statuses_url: `${repoApi}/deployments/${o.deploymentId}/statuses`,
    repository_url: repoApi,
  };
  return {
    action: 'requested',
    environment: run.environment,
    event: run.event,
    sha: run.sha,
    ref: run.ref,
    deployment_callback_url: run.deploymentCallbackUrl,
    deployment,
    pull_requests: [],
    repository: webhookRepository(d, repo, o.installation, baseUrl, o.nowMs),
    installation: { id: o.installation.id, node_id: nodeId('Installation', o.installation.id) },
    sender,
  };
}

/** `GET /app` */
export function integration(d: GitHubDescriptions, app: App, baseUrl: string, ownerLogin: string): Json {
  const ex = d.restExamples.integration;
  const owner = ex.owner as Json;
  return {
    ...ex,
    id: app.id,
    slug: app.slug,
    client_id: app.clientId,
    node_id: nodeId('Integration', app.id),
    owner: user(owner, owner.login as string, { login: ownerLogin, id: 1 }, baseUrl, 'Organization'),
    name: app.slug,
    description: 'Deployment approvals in Slack',
    external_url: baseUrl,
    html_url: `${baseUrl}/apps/${app.slug}`,
    permissions: app.permissions,
    events: ['deployment_protection_rule'],
    installations_count: app.installations.size,
  };
}

/** `GET /app/installations/{installation_id}` and `GET /repos/{owner}/{repo}/installation` */
export function installationJson(d: GitHubDescriptions, app: App, i: Installation, baseUrl: string): Json {
  const ex = d.restExamples.installation;
  const account = ex.account as Json;
  return {
    ...ex,
    id: i.id,
    account: user(account, account.login as string, i.account, baseUrl, i.account.type),
    repository_selection: 'selected',
    access_tokens_url: `${baseUrl}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${baseUrl}/installation/repositories`,
    html_url: `${baseUrl}/organizations/${i.account.login}/settings/installations/${i.id}`,
    app_id: app.id,
    client_id: app.clientId,
    app_slug: app.slug,
    target_id: i.account.id,
    target_type: i.account.type,
    permissions: app.permissions,
    events: ['deployment_protection_rule'],
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
  };
}

/** `POST /app/installations/{installation_id}/access_tokens` (201) */
export function installationTokenJson(t: InstallationToken): Json {
  return { token: t.token, expires_at: isoSeconds(t.expiresAt), permissions: t.permissions, repository_selection: 'selected' };
}
