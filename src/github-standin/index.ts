/**
 * The GitHub stand-in: a strict local GitHub for a GitHub App's deployment
 * protection rule, for tests and the demo. Nothing here ever reaches
 * github.com. It is built from GitHub's own published descriptions (see
 * description.ts): it serves the installation-token and review endpoints at
 * their published paths, refuses a body their schema refuses (422, GitHub's
 * message), and sends `deployment_protection_rule` deliveries signed as
 * GitHub signs them, whose payload conforms to the published webhook schema.
 *
 * ```ts
 * const app = createGitHubAppFixture({ installations: [{ id: 42, repositories: ['octo-org/web'] }] });
 * const github = await startGitHubStandIn({ apps: [app.app] });
 * github.setWebhookUrl(`${signalroomUrl}/github/webhooks`);
 * const { deliveryId, runId } = await github.requestDeploymentReview({ repo: 'octo-org/web', environment: 'production', sender: 'octocat' });
 * // … the App reviews through POST {github.apiUrl}/repos/octo-org/web/actions/runs/{runId}/deployment_protection_rule
 * github.run(runId)?.gate;         // 'approved'
 * github.reviews(runId);           // every review request and its answer
 * await github.redeliver(deliveryId); // the same delivery again (same X-GitHub-Delivery)
 * await github.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadGitHubDescriptions, type GitHubDescriptions, type OperationId } from './description';
import { deliveryHeaders, newDelivery, send, DELIVERY_TIMEOUT_MS, type DeliveryRecord } from './deliveries';
import { GitHubFaults, type GitHubFaultSpec } from './faults';
import { registerStandInPage } from './page';
import { deploymentProtectionRuleRequested } from './payloads';
import { registerRestApi } from './rest';
import { StandInState, userIdFor, type CallRecord, type GitHubUser, type ReviewRecord, type StandInAppSpec, type Violation, type WorkflowRun } from './state';

export type { DeliveryRecord, DeliveryResponse } from './deliveries';
export type { GitHubFaultKind, GitHubFaultSpec } from './faults';
export type { CallRecord, GitHubUser, ReviewRecord, StandInAppSpec, StandInInstallationSpec, Violation, WorkflowRun } from './state';
export type { OperationId } from './description';
export { SERVED_OPERATIONS, loadGitHubDescriptions, publishedWebhookExamples } from './description';
export { signatureFor, DELIVERY_TIMEOUT_MS } from './deliveries';
export { signAppJwt, verifyAppJwt, JWT_MESSAGES, MAX_JWT_LIFETIME_SECONDS } from './jwt';
export { createGitHubAppFixture, type GitHubAppFixture, type GitHubAppFixtureOptions } from './fixture';

/** GitHub's installation tokens live one hour. */
export const INSTALLATION_TOKEN_LIFETIME_MS = 60 * 60_000;

export interface GitHubStandInOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The GitHub Apps, with their installations. More with `addApp`. */
  apps?: StandInAppSpec[];
  /** How long an installation token lives. @default one hour, as GitHub's */
  tokenLifetimeMs?: number;
  /** How long a delivery waits for the App's answer. @default 10000 (GitHub's) */
  deliveryTimeoutMs?: number;
}

export interface DeploymentReviewRequest {
  /** `owner/name`: a repository of one of the Apps' installations. */
  repo: string;
  environment: string;
  /** @default a new id */
  runId?: number;
  /** Who triggered the deployment: a login, or a login and id. @default 'octocat' */
  sender?: string | GitHubUser;
  /** @default a random 40-hex commit */
  sha?: string;
  /** @default 'refs/heads/main' */
  ref?: string;
  /** The event that started the workflow. @default 'push' */
  event?: string;
  /** @default the installation that holds the repository */
  installationId?: number;
  /** Signs with this secret instead of the App's: a forged delivery. */
  signWith?: string;
}

export interface RequestedReview {
  /** `X-GitHub-Delivery` of the delivery. */
  deliveryId: string;
  runId: number;
  run: WorkflowRun;
  delivery: DeliveryRecord;
}

/** A running stand-in. */
export interface GitHubStandIn {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** The REST API's base URL (as `https://api.github.com`): Octokit's `baseUrl`, `@octokit/auth-app`'s `request`. */
  readonly apiUrl: string;
  /** The page: fire a delivery, see runs waiting and reviews received. */
  readonly pageUrl: string;
  /** `info.version` of the REST and webhooks descriptions it is built from. */
  readonly descriptionVersions: { rest: string; webhooks: string };
  readonly descriptions: GitHubDescriptions;

  addApp(spec: StandInAppSpec): void;
  /** Where deliveries go: every App's, or one App's. */
  setWebhookUrl(url: string | undefined, appId?: number): void;

  /** A job targets a protected environment: a new run waits and the App gets `deployment_protection_rule.requested`. */
  requestDeploymentReview(request: DeploymentReviewRequest): Promise<RequestedReview>;
  /** Sends a delivery again, as GitHub's "Redeliver": the same body and `X-GitHub-Delivery`. */
  redeliver(deliveryId: string, options?: { signWith?: string }): Promise<DeliveryRecord>;
  /** Every delivery sent (redeliveries included), oldest first. */
  deliveries(): DeliveryRecord[];

  runs(): WorkflowRun[];
  run(runId: number): WorkflowRun | undefined;
  /** Ends a run (cancelled by a person, say): a later review answers 422. */
  finishRun(runId: number, conclusion?: 'success' | 'failure' | 'cancelled'): void;
  /** Every request to the review endpoint, with its answer, oldest first. */
  reviews(runId?: number): ReviewRecord[];
  /** The REST calls received, optionally of one operation. */
  calls(operationId?: OperationId): CallRecord[];
  /** Answers of the stand-in that GitHub's description refuses (always empty unless the stand-in has a bug). */
  violations(): Violation[];
  /** Every installation token issued so far expires now: the next use answers 401 Bad credentials. */
  expireTokens(): void;
  /** The installation tokens issued, oldest first: for a test that checks none of them was recorded anywhere. */
  installationTokens(): Array<{ token: string; appId: number; installationId: number; expiresAt: string }>;

  readonly faults: {
    /** Arms a fault for the next calls of an operation, e.g. `actions/review-custom-gates-for-run`. */
    inject(operationId: OperationId, fault: GitHubFaultSpec): void;
    clear(operationId?: OperationId): void;
    armed(): Record<string, number>;
  };
  /** Back to the configured Apps: no tokens, runs, reviews, deliveries, calls or faults. */
  reset(): void;
  close(): Promise<void>;
}

export async function startGitHubStandIn(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  const standIn = new StandIn(options);
  await standIn.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return standIn;
}

class StandIn implements GitHubStandIn {
  readonly descriptions = loadGitHubDescriptions();
  readonly faults;
  url = '';
  private state = new StandInState();
  private faultInjector = new GitHubFaults();
  private deliveryLog: DeliveryRecord[] = [];
  private app: FastifyInstance;
  private nextDeploymentId = 3_000_000_001;

  constructor(private readonly options: GitHubStandInOptions) {
    for (const spec of options.apps ?? []) this.state.addApp(spec);
    const served = new Set<string>(this.descriptions.operations.keys());
    const injector = this.faultInjector;
    this.faults = {
      inject: (operationId: OperationId, fault: GitHubFaultSpec) => {
        if (!served.has(operationId)) throw new Error(`the stand-in does not serve ${operationId}`);
        injector.inject(operationId, fault);
      },
      clear: (operationId?: OperationId) => injector.clear(operationId),
      armed: () => injector.armed(),
    };
    this.app = Fastify({ logger: false, forceCloseConnections: true });
    registerRestApi(this.app, {
      state: this.state,
      descriptions: this.descriptions,
      faults: this.faultInjector,
      baseUrl: () => this.url,
      tokenLifetimeMs: () => options.tokenLifetimeMs ?? INSTALLATION_TOKEN_LIFETIME_MS,
      finishRun: (runId, conclusion) => this.finishRun(runId, conclusion),
    });
    registerStandInPage(this.app, { state: this.state, standIn: this, deliveries: () => this.deliveryLog });
  }

  get apiUrl() {
    return this.url;
  }
  get pageUrl() {
    return `${this.url}/`;
  }
  get descriptionVersions() {
    return { ...this.descriptions.versions };
  }

  async listen(port: number, host: string): Promise<void> {
    await this.app.listen({ port, host });
    const addr = this.app.server.address();
    if (!addr || typeof addr === 'string') throw new Error('the GitHub stand-in did not get a TCP port');
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  }

  addApp(spec: StandInAppSpec): void {
    this.state.addApp(spec);
  }

  setWebhookUrl(url: string | undefined, appId?: number): void {
    for (const a of this.state.apps.values()) if (appId === undefined || a.id === appId) a.webhookUrl = url;
    if (appId !== undefined) this.state.app(appId);
    this.state.changed();
  }

  async requestDeploymentReview(r: DeploymentReviewRequest): Promise<RequestedReview> {
    const installation = r.installationId !== undefined ? this.state.installation(r.installationId) : this.state.installationFor(r.repo);
    if (!installation) throw new Error(r.installationId !== undefined ? `no installation ${r.installationId} in the stand-in` : `no App of the stand-in is installed on ${r.repo}`);
    const repo = installation.repositories.find((x) => x.fullName.toLowerCase() === r.repo.toLowerCase());
    if (!repo) throw new Error(`installation ${installation.id} does not include ${r.repo}`);
    if (!r.environment) throw new Error('an environment is required');
    const app = this.state.app(installation.appId);
    const runId = r.runId ?? this.state.newRunId();
    if (this.state.runs.has(runId)) throw new Error(`run ${runId} exists already`);
    const sender: GitHubUser = typeof r.sender === 'object' ? r.sender : { login: r.sender ?? 'octocat', id: userIdFor(r.sender ?? 'octocat') };
    const run: WorkflowRun = {
      id: runId,
      repository: repo.fullName,
      environment: r.environment,
      appId: app.id,
      installationId: installation.id,
      sha: r.sha ?? randomBytes(20).toString('hex'),
      ref: r.ref ?? 'refs/heads/main',
      event: r.event ?? 'push',
      sender,
      status: 'waiting',
      gate: 'pending',
      htmlUrl: `${this.url}/${repo.fullName}/actions/runs/${runId}`,
      deploymentCallbackUrl: `${this.url}/repos/${repo.fullName}/actions/runs/${runId}/deployment_protection_rule`,
      createdAt: Date.now(),
    };
    this.state.runs.set(runId, run);
    const payload = deploymentProtectionRuleRequested(this.descriptions, { run, repo, installation, deploymentId: this.nextDeploymentId++, baseUrl: this.url, nowMs: Date.now() });
    this.checkPayload(payload);
    const delivery = newDelivery(this.descriptions.webhook.event, payload, { appId: app.id, hookId: app.hookId, installationId: installation.id, secret: r.signWith ?? app.webhookSecret, url: app.webhookUrl });
    this.deliveryLog.push(delivery);
    this.state.changed();
    await send(delivery, this.options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS);
    this.state.changed();
    return { deliveryId: delivery.id, runId, run, delivery };
  }

  async redeliver(deliveryId: string, o: { signWith?: string } = {}): Promise<DeliveryRecord> {
    const original = this.deliveryLog.find((x) => x.id === deliveryId && !x.redelivery);
    if (!original) throw new Error(`no delivery ${deliveryId}`);
    const app = this.state.app(original.appId);
    const target = { appId: app.id, hookId: app.hookId, installationId: original.installationId, secret: o.signWith ?? app.webhookSecret, url: app.webhookUrl };
    // The same delivery: its GUID and its body, byte for byte, signed again (GitHub signs each attempt).
    const record: DeliveryRecord = { ...original, url: target.url, headers: deliveryHeaders(original.id, original.event, target, original.body), redelivery: true, response: { body: '', durationMs: 0 }, at: Date.now() };
    this.deliveryLog.push(record);
    await send(record, this.options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS);
    this.state.changed();
    return record;
  }

  deliveries(): DeliveryRecord[] {
    return [...this.deliveryLog];
  }

  runs(): WorkflowRun[] {
    return [...this.state.runs.values()];
  }

  run(runId: number): WorkflowRun | undefined {
    return this.state.runs.get(runId);
  }

  finishRun(runId: number, conclusion: 'success' | 'failure' | 'cancelled' = 'cancelled'): void {
    const run = this.state.runs.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    run.status = 'completed';
    run.conclusion = conclusion;
    this.state.changed();
  }

  reviews(runId?: number): ReviewRecord[] {
    return this.state.reviews.filter((r) => runId === undefined || r.runId === runId);
  }

  calls(operationId?: OperationId): CallRecord[] {
    return this.state.calls.filter((c) => !operationId || c.operationId === operationId);
  }

  violations(): Violation[] {
    return [...this.state.violations];
  }

  expireTokens(): void {
    const now = Date.now();
    for (const t of this.state.tokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
    this.state.changed();
  }

  installationTokens(): Array<{ token: string; appId: number; installationId: number; expiresAt: string }> {
    return [...this.state.tokens.values()].map((t) => ({ token: t.token, appId: t.appId, installationId: t.installationId, expiresAt: new Date(t.expiresAt).toISOString() }));
  }

  reset(): void {
    this.state.reset();
    this.deliveryLog.length = 0;
    this.faultInjector.clear();
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  /** A payload of ours that GitHub's webhook schema refuses is a stand-in bug: refuse to send it. */
  private checkPayload(payload: Record<string, unknown>): void {
    const d = this.descriptions;
    const problem = d.validators.problem(d.webhook.key, d.webhook.schema, 'webhooks', payload) ?? d.validators.problem(`x-webhooks:${d.webhook.key}`, d.restWebhookSchema, 'rest', payload);
    if (problem) throw new Error(`the stand-in built a ${d.webhook.event} payload GitHub's schema refuses: ${problem.message}`);
  }
}
