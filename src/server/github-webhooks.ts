/**
 * POST /github/webhooks — the webhook URL of Signalroom's GitHub Apps.
 *
 * A delivery is trusted only as far as it is proven (SECURITY.md, "A GitHub
 * delivery is GitHub's, for one configured installation, once"):
 * - the App it claims (`X-GitHub-Hook-Installation-Target-ID`) chooses the
 *   one webhook secret to check `X-Hub-Signature-256` with, through
 *   `@octokit/webhooks`; an unknown App or a bad signature is a 401;
 * - its installation must be one configuration lists for that App (401);
 * - a delivery id (`X-GitHub-Delivery`) acts once: GitHub's "Redeliver", or
 *   anyone replaying a captured delivery, starts nothing more;
 * - `deployment_protection_rule.requested` for a configured repository and
 *   environment starts the approval and answers at once, well inside
 *   GitHub's 10 seconds: the approval answers GitHub later
 *   (src/github/review.ts). Anything else starts nothing, and the answer says why.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '@temporalio/client';
import { Webhooks } from '@octokit/webhooks';
import { Counter } from 'prom-client';
import type { GitHubConfig } from '../config/schema';
import { appById, gatePolicy } from '../github/apps';
import { deploymentApprovalRequest, parseDeploymentReviewRequested } from '../github/deployment-gate';
import { normalizeApprovalRequest, startApproval, type ApprovalNames } from '../approvals/client';
import { SignalroomError } from '../errors';
import { SeenKeys } from './seen-keys';

export const GITHUB_WEBHOOKS_PATH = '/github/webhooks';

/** What became of a delivery (the `outcome` of `signalroom_github_deliveries_total` and of the answer). */
export const GITHUB_DELIVERY_OUTCOMES = ['started', 'joined', 'duplicate', 'ignored', 'not_configured', 'refused', 'unavailable', 'unknown_app', 'bad_signature', 'unknown_installation', 'malformed'] as const;
export type GitHubDeliveryOutcome = (typeof GITHUB_DELIVERY_OUTCOMES)[number];

export interface GitHubWebhookOptions {
  /** The configuration's `github` (read on every delivery). */
  config: () => GitHubConfig;
  temporal: Client;
  /** Where approvals start. */
  taskQueue: string;
  /** What a request may name (config), checked before anything starts. @default unchecked: the workflow refuses */
  approvalNames?: () => ApprovalNames;
  /** How long a delivery id is remembered. @default 24 hours */
  dedupeWindowMs?: number;
  /** Largest accepted body. @default 1 MiB (a deployment_protection_rule delivery is a few KiB) */
  bodyLimit?: number;
  /** How long starting an approval may take before GitHub is told to try again. @default 8000 (GitHub waits 10 s) */
  startTimeoutMs?: number;
}

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const webhooksBySecret = new Map<string, Webhooks>();

/** `@octokit/webhooks`' verifier for a secret (kept: one per configured App). */
function verifierFor(secret: string): Webhooks {
  let w = webhooksBySecret.get(secret);
  if (!w) {
    if (webhooksBySecret.size > 100) webhooksBySecret.clear();
    w = new Webhooks({ secret });
    webhooksBySecret.set(secret, w);
  }
  return w;
}

export const githubWebhooks: FastifyPluginAsync<GitHubWebhookOptions> = async (app, options) => {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const seen = new SeenKeys(options.dedupeWindowMs ?? 24 * 60 * 60_000, 100_000);
  const deliveries = new Counter({
    name: 'signalroom_github_deliveries_total',
    help: 'GitHub webhook deliveries by outcome',
    labelNames: ['outcome'] as const,
    registers: app.hasDecorator('metrics') ? [app.metrics.registry] : [],
  });
  for (const outcome of GITHUB_DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);

  // The signature is over the raw bytes: keep the body as text here (this plugin's routes only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));

  const answer = (request: FastifyRequest, reply: FastifyReply, status: number, outcome: GitHubDeliveryOutcome, message: string, extra: Record<string, unknown> = {}) => {
    deliveries.inc({ outcome });
    const log = status >= 500 ? request.log.warn.bind(request.log) : request.log.info.bind(request.log);
    log({ delivery: request.headers['x-github-delivery'], event: request.headers['x-github-event'], outcome, ...extra }, `GitHub delivery: ${message}`);
    return reply.code(status).send({ ...(status >= 400 ? { error: outcome } : {}), outcome, message, ...extra });
  };

  app.post(GITHUB_WEBHOOKS_PATH, { bodyLimit, schema: { hide: true } }, async (request, reply) => {
    const header = (name: string) => {
      const v = request.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const github = options.config();
    const claimed = Number(header('x-github-hook-installation-target-id'));
    const named = header('x-github-hook-installation-target-type') === 'integration' && Number.isSafeInteger(claimed) ? appById(github, claimed) : undefined;
    if (!named) return answer(request, reply, 401, 'unknown_app', `the delivery is not from a GitHub App configured here (X-GitHub-Hook-Installation-Target-ID ${header('x-github-hook-installation-target-id') ?? 'missing'})`);

    const body = typeof request.body === 'string' ? request.body : '';
    const signature = header('x-hub-signature-256');
    const valid = signature ? await verifierFor(named.app.webhookSecret).verify(body, signature).catch(() => false) : false;
    if (!valid) return answer(request, reply, 401, 'bad_signature', signature ? `X-Hub-Signature-256 does not match the webhook secret of github.apps.${named.name}` : 'the delivery carries no X-Hub-Signature-256');

    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return answer(request, reply, 400, 'malformed', 'the delivery is not JSON');
    }
    const installationId = (payload as { installation?: { id?: unknown } } | null)?.installation?.id;
    const event = header('x-github-event') ?? '';
    if (typeof installationId === 'number' && !named.app.installations.includes(installationId)) {
      return answer(request, reply, 401, 'unknown_installation', `installation ${installationId} is not under github.apps.${named.name}.installations`);
    }
    if (installationId === undefined && event !== 'ping') return answer(request, reply, 401, 'unknown_installation', 'the delivery names no installation');

    const deliveryId = header('x-github-delivery');
    if (!deliveryId || !DELIVERY_ID.test(deliveryId)) return answer(request, reply, 400, 'malformed', 'X-GitHub-Delivery is missing or not a delivery id');
    const action = (payload as { action?: unknown }).action;
    if (event !== 'deployment_protection_rule' || action !== 'requested') {
      return answer(request, reply, 200, 'ignored', `${event || 'an event'}${typeof action === 'string' ? `.${action}` : ''} is not acted on: only deployment_protection_rule.requested starts an approval`);
    }
    const key = `${named.app.appId}:${deliveryId}`;
    if (!seen.firstTime(key)) return answer(request, reply, 200, 'duplicate', `delivery ${deliveryId} was received already: nothing was started again`);

    const parsed = parseDeploymentReviewRequested(payload);
    if (!parsed.ok) return answer(request, reply, 400, 'malformed', parsed.message, { field: parsed.field });
    const r = parsed.value;
    const gate = gatePolicy(named, r.repository, r.environment);
    if ('why' in gate) return answer(request, reply, 200, 'not_configured', gate.why, { repository: r.repository, environment: r.environment });

    let input;
    try {
      input = normalizeApprovalRequest(deploymentApprovalRequest(github, named, gate.policy, r), options.approvalNames?.() ?? {});
    } catch (err) {
      return answer(request, reply, 422, 'refused', `github.apps.${named.name}.repositories.${r.repository}.${r.environment} asks for an approval that cannot start: ${(err as Error).message}`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Temporal did not answer in time')), options.startTimeoutMs ?? 8000);
      });
      const started = await Promise.race([startApproval(options.temporal, input, options.taskQueue), late]);
      return answer(request, reply, started.created ? 202 : 200, started.created ? 'started' : 'joined', started.created ? 'the approval was started' : 'the approval was already running', { approvalId: started.workflowId });
    } catch (err) {
      if (err instanceof SignalroomError && err.status < 500) return answer(request, reply, err.status, 'refused', err.message);
      // Nothing started: a redelivery from the App's settings may try again.
      seen.forget(key);
      return answer(request, reply, 503, 'unavailable', `the approval could not be started (${(err as Error).message}): redeliver it from the App's settings`);
    } finally {
      clearTimeout(timer);
    }
  });
};

