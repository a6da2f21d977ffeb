/**
 * GitHub's REST API, the few operations a GitHub App needs for deployment
 * protection rules, at the paths and with the methods GitHub's description
 * publishes. Each call goes through the gates GitHub applies, in order:
 * faults (tests), authentication (the App's JWT, or an installation token),
 * the repository's access, the body against the published schema (422 with
 * GitHub's message), then the operation. Answers are checked against the
 * published response schema; one that does not conform is recorded as a
 * violation (a stand-in bug).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GitHubDescriptions, OperationDescription, OperationId } from './description';
import type { GitHubFaults } from './faults';
import { verifyAppJwt } from './jwt';
import { installationJson, installationTokenJson, integration } from './payloads';
import type { App, InstallationToken, ReviewRecord, StandInState, WorkflowRun } from './state';

type Json = Record<string, unknown>;

/** GitHub's installation tokens: `ghs_` and 36 letters and digits. */
export function newInstallationToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(36);
  let out = 'ghs_';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** An answer: status and JSON body (none for 204). */
interface Answer {
  status: number;
  body?: Json;
}

class Refusal extends Error {
  constructor(readonly answer: Answer) {
    super(String(answer.body?.message ?? answer.status));
  }
}

export interface RestDeps {
  state: StandInState;
  descriptions: GitHubDescriptions;
  faults: GitHubFaults;
  baseUrl: () => string;
  /** How long an installation token lives. GitHub's: one hour. */
  tokenLifetimeMs: () => number;
  /** Ends a run as a person or GitHub would (cancelled, say): used by the `cancel_run` fault. */
  finishRun: (runId: number, conclusion: 'success' | 'failure' | 'cancelled') => void;
}

interface Ctx {
  op: OperationDescription;
  req: FastifyRequest;
  params: Record<string, string>;
  body: unknown;
}

type Handler = (ctx: Ctx) => Answer;

export function registerRestApi(app: FastifyInstance, deps: RestDeps): void {
  const { state, descriptions: d, faults } = deps;
  const fail = (op: OperationDescription, status: number, message: string, extra: Json = {}): Refusal => new Refusal({ status, body: { message, documentation_url: op.documentationUrl, status: String(status), ...extra } });
  const notFound = (op: OperationDescription) => fail(op, 404, 'Not Found');
  const now = () => Date.now();

  const credentials = (req: FastifyRequest): string | undefined => /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];

  /** The App whose JWT authenticates the call. */
  const appOf = (ctx: Ctx): App => {
    const jwt = credentials(ctx.req);
    if (!jwt) throw fail(ctx.op, 401, 'Requires authentication');
    const check = verifyAppJwt(jwt, (iss) => state.apps.get(Number(iss))?.publicKey, Math.floor(now() / 1000));
    if (!check.ok) throw fail(ctx.op, 401, check.message);
    return state.app(check.appId);
  };

  /** The installation token of the call, still valid. */
  const tokenOf = (ctx: Ctx): InstallationToken => {
    const t = credentials(ctx.req);
    if (!t) throw fail(ctx.op, 401, 'Requires authentication');
    const info = state.tokens.get(t);
    if (!info || info.expiresAt <= now()) throw fail(ctx.op, 401, 'Bad credentials');
    return info;
  };

  const repoParam = (ctx: Ctx) => `${ctx.params.owner}/${ctx.params.repo}`;

  const handlers: Record<OperationId, Handler> = {
    'apps/get-authenticated': (ctx) => {
      const a = appOf(ctx);
      const owner = [...a.installations.values()][0]?.account.login ?? 'octo-org';
      return { status: 200, body: integration(d, a, deps.baseUrl(), owner) };
    },

    'apps/get-installation': (ctx) => {
      const a = appOf(ctx);
      const i = a.installations.get(Number(ctx.params.installation_id));
      if (!i) throw notFound(ctx.op);
      return { status: 200, body: installationJson(d, a, i, deps.baseUrl()) };
    },

    'apps/get-repo-installation': (ctx) => {
      const a = appOf(ctx);
      const i = state.installationFor(repoParam(ctx), a.id);
      if (!i) throw notFound(ctx.op);
      return { status: 200, body: installationJson(d, a, i, deps.baseUrl()) };
    },

    'apps/create-installation-access-token': (ctx) => {
      const a = appOf(ctx);
      const i = a.installations.get(Number(ctx.params.installation_id));
      if (!i) throw notFound(ctx.op);
      validateBody(ctx);
      const body = (ctx.body ?? {}) as { repositories?: string[]; repository_ids?: number[]; permissions?: Record<string, 'read' | 'write'> };
      let repos = i.repositories;
      if (body.repositories || body.repository_ids) {
        const byName = (body.repositories ?? []).map((n) => i.repositories.find((r) => r.name.toLowerCase() === n.toLowerCase()));
        const byId = (body.repository_ids ?? []).map((id) => i.repositories.find((r) => r.id === id));
        if ([...byName, ...byId].some((r) => !r)) throw fail(ctx.op, 422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
        repos = [...new Set([...byName, ...byId])] as typeof repos;
      }
      let permissions = a.permissions;
      if (body.permissions) {
        const rank = { read: 1, write: 2 } as const;
        for (const [k, level] of Object.entries(body.permissions)) {
          const granted = a.permissions[k];
          if (!granted || rank[level] > rank[granted]) throw fail(ctx.op, 422, 'The permissions requested are not granted to this installation.');
        }
        permissions = { ...body.permissions };
      }
      const token: InstallationToken = {
        token: newInstallationToken(),
        appId: a.id,
        installationId: i.id,
        expiresAt: now() + deps.tokenLifetimeMs(),
        repositories: repos.map((r) => r.fullName),
        permissions,
      };
      state.tokens.set(token.token, token);
      state.changed();
      return { status: 201, body: installationTokenJson(token) };
    },

    'actions/review-custom-gates-for-run': (ctx) => {
      const runId = Number(ctx.params.run_id);
      const review: ReviewRecord = { runId, repository: repoParam(ctx), body: ctx.body, status: 0, at: now() };
      state.reviews.push(review);
      try {
        const answer = reviewGate(ctx, review);
        review.status = answer.status;
        return answer;
      } catch (err) {
        if (err instanceof Refusal) review.status = err.answer.status;
        throw err;
      } finally {
        state.changed();
      }
    },
  };

  function reviewGate(ctx: Ctx, review: ReviewRecord): Answer {
    const token = tokenOf(ctx);
    review.appId = token.appId;
    review.installationId = token.installationId;
    const fullName = repoParam(ctx).toLowerCase();
    if (!token.repositories.some((r) => r.toLowerCase() === fullName)) throw notFound(ctx.op);
    if (token.permissions.deployments !== 'write') throw fail(ctx.op, 403, 'Resource not accessible by integration');
    validateBody(ctx);
    const body = ctx.body as { environment_name: string; state?: 'approved' | 'rejected'; comment?: string };
    review.environmentName = body.environment_name;
    review.state = body.state;
    review.comment = body.comment;
    const run = state.runs.get(review.runId);
    if (!run || run.repository.toLowerCase() !== fullName) throw notFound(ctx.op);
    const unprocessable = (why: string) => fail(ctx.op, 422, why);
    if (run.status === 'completed') throw unprocessable(`The workflow run ${run.id} has completed (${run.conclusion}): it is not waiting for a deployment protection rule.`);
    if (run.environment !== body.environment_name || run.appId !== token.appId) throw unprocessable(`The workflow run ${run.id} has no deployment protection rule of this app pending for the environment ${body.environment_name}.`);
    if (run.gate !== 'pending') throw unprocessable(`The deployment protection rule for the environment ${run.environment} has already been ${run.gate}.`);
    if (body.state) decide(run, body.state);
    return { status: 204 };
  }

  function decide(run: WorkflowRun, decision: 'approved' | 'rejected'): void {
    run.gate = decision;
    if (decision === 'approved') run.status = 'in_progress';
    else deps.finishRun(run.id, 'failure');
  }

  function validateBody(ctx: Ctx): void {
    const rb = ctx.op.requestBody;
    if (!rb) return;
    if (ctx.body === undefined && !rb.required) return;
    const problem = d.validators.problem(ctx.op.operationId, rb.schema, 'rest', ctx.body ?? {});
    if (problem) throw fail(ctx.op, 422, problem.message);
  }

  app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    for (const op of d.operations.values()) {
      const route = op.path.replace(/\{(\w+)\}/g, ':$1');
      const handle = async (req: FastifyRequest, reply: FastifyReply) => {
        const record = { seq: state.calls.length + 1, operationId: op.operationId, method: op.method, url: req.url, status: 0, at: now() } as (typeof state.calls)[number];
        state.calls.push(record);
        const send = (a: Answer) => {
          record.status = a.status;
          state.changed();
          reply.header('x-github-media-type', 'github.v3; format=json');
          if (a.body === undefined) return reply.code(a.status).send();
          return reply.code(a.status).type('application/json; charset=utf-8').send(a.body);
        };
        try {
          const params = req.params as Record<string, string>;
          // A path parameter the description types as an integer that is not one: GitHub has no such resource.
          for (const p of op.pathParameters) if (p.schema.type === 'integer' && !/^\d+$/.test(params[p.name] ?? '')) throw notFound(op);

          const raw = typeof req.body === 'string' ? req.body : '';
          let body: unknown;
          if (raw.trim() !== '') {
            try {
              body = JSON.parse(raw);
            } catch {
              throw fail(op, 400, 'Problems parsing JSON');
            }
          }
          record.body = body;

          const fault = faults.take(op.operationId);
          if (fault) {
            record.fault = fault;
            if (fault === 'cancel_run') {
              const run = state.runs.get(Number(params.run_id));
              if (run && run.status !== 'completed') deps.finishRun(run.id, 'cancelled');
            } else return send({ status: Number(fault), body: { message: 'Server Error' } });
          }

          // Each handler checks its body after the caller's credentials, as GitHub does (401 before 422).
          const answer = handlers[op.operationId]({ op, req, params, body });
          checkAnswer(op, answer);
          return send(answer);
        } catch (err) {
          if (err instanceof Refusal) {
            checkAnswer(op, err.answer);
            return send(err.answer);
          }
          throw err;
        }
      };
      api.route({ method: op.method as 'GET' | 'POST', url: route, handler: handle });
    }
  });

  /** An answer of ours the description does not allow is our bug: recorded, and said on stderr. */
  function checkAnswer(op: OperationDescription, a: Answer): void {
    const declared = Object.prototype.hasOwnProperty.call(op.responses, String(a.status));
    const schema = op.responses[String(a.status)];
    let message: string | undefined;
    if (declared && schema && a.body) message = d.validators.problem(`${op.operationId}:${a.status}`, schema, 'rest', a.body)?.message;
    else if (declared && schema && !a.body) message = 'no body where the description has one';
    if (message) {
      state.violations.push({ operationId: op.operationId, status: a.status, message });
      process.stderr.write(`github stand-in: ${op.operationId} answered ${a.status} with a body GitHub's description refuses: ${message}\n`);
    }
  }
}
