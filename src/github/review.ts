/**
 * Answering a deployment protection rule: `POST
 * {apiUrl}/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`
 * with the environment, `approved` or `rejected`, and a comment naming who
 * decided. Authenticated as the installation: the App's JWT buys an
 * installation access token, which `@octokit/auth-app` keeps until it
 * expires. Neither leaves this process: the workflow's history carries the
 * App's name and the installation id only (SECURITY.md, "Secrets stay out of Temporal").
 *
 * Outcomes, as the approval's outcome activity reads them (activities/outcomes.ts):
 * 204 told; 5xx, 429 and network failures thrown to be retried; 422 (the run
 * was cancelled, or its gate decided, meanwhile) the approval ends as
 * cancelled, saying why; anything else a refusal that names what to fix.
 */
import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import { ApplicationFailure } from '@temporalio/common';
import type { OutcomeDelivery, OutcomeReport, OutcomeTarget, RecordedDecision } from '../../core/approval/types';
import type { GitHubAppConfig, GitHubConfig } from '../config/schema';
import { appByName, privateKeyOf } from './apps';

type GitHubTarget = Extract<OutcomeTarget, { kind: 'github' }>;

/** Each call to GitHub gives up after this long (then it is retried). */
const CALL_TIMEOUT_MS = 15_000;
/** GitHub's comment field is free text; a long list of deciders is cut here. */
const MAX_COMMENT = 1000;

const timedFetch: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });

type Auth = ReturnType<typeof createAppAuth>;
type Request = typeof octokitRequest;

/** One client per configured App: its request defaults and its token cache. */
class GitHubAppClient {
  readonly request: Request;
  private readonly auth: Auth;

  constructor(app: GitHubAppConfig) {
    this.request = octokitRequest.defaults({ baseUrl: app.apiUrl.replace(/\/+$/, ''), headers: { 'user-agent': 'signalroom' }, request: { fetch: timedFetch } });
    this.auth = createAppAuth({ appId: app.appId, privateKey: privateKeyOf(app), request: this.request });
  }

  /** An installation access token: cached until it expires, or a new one when `refresh`. */
  async installationToken(installationId: number, refresh = false): Promise<string> {
    const found = await this.auth({ type: 'installation', installationId, ...(refresh ? { refresh: true } : {}) });
    return found.token;
  }
}

export interface GitHubReviewOptions {
  /** A Slack user's display name, for the comment (best effort). @default the name the decision recorded, else the id */
  nameOf?: (userId: string) => Promise<string | undefined>;
}

/** The `github` outcome deliverer: answers GitHub once the approval is decided. */
export function githubOutcomeDeliverer(github: () => GitHubConfig, options: GitHubReviewOptions = {}): (target: GitHubTarget, report: OutcomeReport) => Promise<OutcomeDelivery> {
  const clients = new Map<string, { app: GitHubAppConfig; client: GitHubAppClient }>();
  const clientFor = (name: string): GitHubAppClient => {
    const app = appByName(github(), name);
    if (!app) throw ApplicationFailure.nonRetryable(`no GitHub App "${name}" is configured under github.apps on this worker`, 'Signalroom:github_app_unknown');
    const known = clients.get(name);
    if (known && known.app === app) return known.client;
    let client: GitHubAppClient;
    try {
      client = new GitHubAppClient(app);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`github.apps.${name}: ${(err as Error).message}`, 'Signalroom:github_app_key');
    }
    clients.set(name, { app, client });
    return client;
  };

  return async (target, report) => {
    const client = clientFor(target.app);
    const comment = await reviewComment(target, report, options.nameOf);
    const state = report.proceed ? 'approved' : 'rejected';
    const [owner, repo] = target.repository.split('/');
    const review = async (refresh: boolean) => {
      const token = await client.installationToken(target.installationId, refresh);
      return client.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
        owner,
        repo,
        run_id: target.runId,
        environment_name: target.environment,
        state,
        comment,
        headers: { authorization: `token ${token}` },
      });
    };
    try {
      try {
        await review(false);
      } catch (err) {
        // A cached token GitHub no longer takes (revoked, expired early): one more try with a new one.
        if (statusOf(err) !== 401) throw err;
        await review(true);
      }
      return {};
    } catch (err) {
      return outcomeOfFailure(err, target);
    }
  };
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** GitHub's own words for a refusal, never the request (it carries the token in a header). */
function gitHubMessage(err: unknown): string {
  const data = (err as { response?: { data?: unknown } }).response?.data;
  const message = data && typeof data === 'object' ? (data as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message ? message.slice(0, 300) : ((err as Error).message ?? String(err)).split('\n')[0].slice(0, 300);
}

function outcomeOfFailure(err: unknown, target: GitHubTarget): OutcomeDelivery {
  const status = statusOf(err);
  const where = `${target.repository} run ${target.runId} (${target.environment})`;
  if (status === 422) {
    return { superseded: { status: 'cancelled', note: `GitHub no longer waits on ${where}: ${gitHubMessage(err)}` } };
  }
  if (status === undefined || status >= 500 || status === 429 || status === 408) {
    // Temporal owns retries: thrown as retryable, with GitHub's status and words.
    throw ApplicationFailure.retryable(`GitHub ${status ?? 'unreachable'} answering ${where}: ${gitHubMessage(err)}`, 'Signalroom:github_unavailable');
  }
  const fix =
    status === 401
      ? 'GitHub refused the App\'s credentials: check github.apps.<name>.appId and privateKey'
      : status === 403
        ? 'the App may not review deployments here: give it "Deployments: Read and write" and accept the new permissions on the installation'
        : status === 404
          ? 'the installation cannot see this repository or run: check the installation\'s repository access'
          : 'GitHub refused the answer';
  throw ApplicationFailure.nonRetryable(`GitHub ${status} answering ${where}: ${gitHubMessage(err)} (${fix})`, `Signalroom:github_${status}`);
}

/** "Approved in Slack by Carol, Dave", with links to the card and the run. */
async function reviewComment(target: GitHubTarget, report: OutcomeReport, nameOf: GitHubReviewOptions['nameOf']): Promise<string> {
  const names = new Map<string, string>();
  for (const d of report.decisions) {
    if (names.has(d.user.id)) continue;
    const looked = nameOf ? await nameOf(d.user.id).catch(() => undefined) : undefined;
    names.set(d.user.id, looked ?? d.user.name ?? d.user.id);
  }
  const person = (d: RecordedDecision) => `${names.get(d.user.id)}${d.via === 'slack' ? '' : ` (through the ${d.via === 'api' ? 'API' : 'CLI'}${d.by?.token ? `, token ${d.by.token}` : d.by?.operator ? `, ${d.by.operator}` : ''})`}`;
  const approvers = report.decisions.filter((d) => d.verb === 'approve').map(person);
  const rejection = report.decisions.find((d) => d.verb === 'reject');
  const lines: string[] = [];
  if (report.status === 'approved') lines.push(`Approved in Slack by ${approvers.join(', ')}.`);
  else if (report.status === 'rejected') lines.push(`Rejected in Slack by ${rejection ? person(rejection) : 'an approver'}${rejection?.reason ? `: "${rejection.reason}"` : ''}.`);
  else if (report.status === 'expired') lines.push(`Nobody decided in Slack in time: the approval expired, which ${report.proceed ? 'approves' : 'rejects'} this deployment.${approvers.length ? ` Approved so far by ${approvers.join(', ')}.` : ''}`);
  else lines.push(`The approval in Slack was cancelled${report.outcomeNote ? `: ${stripMarkup(report.outcomeNote)}` : '.'}`);
  if (report.permalink) lines.push(`Approval card: ${report.permalink}`);
  if (target.runUrl) lines.push(`Run: ${target.runUrl}`);
  lines.push(`Signalroom approval ${report.approvalId}`);
  const text = lines.join('\n');
  return text.length > MAX_COMMENT ? `${text.slice(0, MAX_COMMENT - 1)}…` : text;
}

/** An outcome note is Slack mrkdwn (escaped, with mentions): GitHub shows plain text. */
function stripMarkup(note: string): string {
  return note.replace(/<@([A-Z0-9]+)>/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
