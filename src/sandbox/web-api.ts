/**
 * Slack's Web API at `/api/<method>`, as `@slack/web-api` calls it: form or
 * JSON bodies (or a query string), the token as `Authorization: Bearer` or a
 * `token` argument. Each call goes through the same gates Slack applies —
 * faults, auth, rate limits, scopes, required arguments — then its method.
 * Every error returned is checked against Slack's published list for the
 * method; an unlisted one is a sandbox bug and is recorded as a violation.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultInjector, FaultKind } from './faults';
import type { SlackApiMetadata } from './metadata';
import { ApiError, RateLimited } from './api-error';
import type { MethodContext, SandboxServices } from './method-context';
import { METHOD_HANDLERS } from './methods';
import type { TokenInfo } from './state';

/** One Web API call as the sandbox saw it. */
export interface CallRecord {
  seq: number;
  method: string;
  at: number;
  teamId?: string;
  tokenType?: 'bot' | 'user';
  userId?: string;
  /** Arguments with the token removed. */
  args: Record<string, unknown>;
  /** HTTP status sent (undefined when the response was dropped or the call hung). */
  status?: number;
  ok: boolean;
  error?: string;
  /** Set when an injected fault shaped the outcome. */
  fault?: FaultKind;
  /** Set when the call was rate limited (HTTP 429). */
  retryAfter?: number;
  /** The body sent (for successful calls, what the client saw). */
  response?: Record<string, unknown>;
}

export interface Violation {
  method: string;
  error: string;
}

/** Which listed error a missing required argument gets, by argument name, first listed wins. */
const MISSING_ARGUMENT_ERRORS: Record<string, string[]> = {
  channel: ['channel_not_found'],
  channel_id: ['channel_not_found'],
  ts: ['message_not_found', 'thread_not_found'],
  timestamp: ['no_item_specified', 'message_not_found'],
  message_ts: ['message_not_found'],
  user: ['user_not_found'],
  user_id: ['missing_profile_id', 'user_not_found'],
  users: ['no_user'],
  email: ['users_not_found'],
  name: ['invalid_name_required', 'invalid_name'],
  usergroup: ['no_such_subteam'],
  post_at: ['invalid_time'],
  type: ['invalid_bookmark_type'],
};

export function missingArgumentError(meta: SlackApiMetadata, method: string, arg: string): string {
  const listed = meta.methods.get(method)!.errors;
  for (const code of [...(MISSING_ARGUMENT_ERRORS[arg] ?? []), 'missing_argument']) if (listed.has(code)) return code;
  return 'invalid_form_data';
}

export interface WebApiDeps {
  services: SandboxServices;
  metadata: SlackApiMetadata;
  faults: FaultInjector;
  calls: CallRecord[];
  violations: Violation[];
  /** Requests held open by `hang` faults; released on close. */
  hanging: Set<FastifyRequest>;
  /** How long every answer takes (after the call is applied), like Slack across a network. */
  latencyMs: () => number;
  /** Runs what a test armed with `beforeCall` for this method, once, before the call is applied. */
  beforeCall?: (method: string) => Promise<void>;
}

type Parsed = { args: Record<string, unknown>; problem?: string };

function parseBody(req: FastifyRequest): Parsed {
  const query = { ...(req.query as Record<string, unknown>) };
  const raw = req.body as string | undefined;
  if (req.method === 'GET' || raw === undefined || raw === '') return { args: query };
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (!type) return { args: query, problem: 'missing_post_type' };
  const charset = /charset=([^;]+)/.exec(type)?.[1]?.trim();
  if (charset && !['utf-8', 'utf8', 'iso-8859-1'].includes(charset)) return { args: query, problem: 'invalid_charset' };
  if (type.startsWith('application/json')) {
    try {
      const body = JSON.parse(raw);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return { args: query, problem: 'invalid_form_data' };
      return { args: { ...query, ...body } };
    } catch {
      return { args: query, problem: 'invalid_form_data' };
    }
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain')) {
    const form = new URLSearchParams(raw);
    const args: Record<string, unknown> = { ...query };
    for (const [k, v] of form) {
      if (k.endsWith('[]') || form.getAll(k).length > 1) return { args, problem: 'invalid_array_arg' };
      args[k] = v;
    }
    return { args };
  }
  return { args: query, problem: 'invalid_post_type' };
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m?.[1]?.trim();
}

function basicAuth(req: FastifyRequest): { user: string; password: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function registerWebApi(app: FastifyInstance, deps: WebApiDeps): void {
  const { services, metadata, faults, calls, violations } = deps;

  app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    const handle = async (req: FastifyRequest<{ Params: { method: string } }>, reply: FastifyReply) => {
      const method = req.params.method;
      const parsed = parseBody(req);
      const { token: _t, ...logArgs } = parsed.args;
      const record: CallRecord = { seq: calls.length + 1, method, at: services.clock.now(), args: logArgs, ok: false };
      calls.push(record);

      const send = async (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
        record.status = status;
        record.ok = body.ok === true;
        if (!record.ok) record.error = String(body.error);
        else record.response = body;
        const latency = deps.latencyMs();
        // The call is applied already: a client that dies during this wait is the lost-response case.
        if (latency > 0) await new Promise((r) => setTimeout(r, latency));
        for (const [k, v] of Object.entries(headers)) reply.header(k, v);
        return reply.code(status).type('application/json; charset=utf-8').send(body);
      };
      const fail = (code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, status = 200) => {
        if (!metadata.isListedError(method, code)) {
          violations.push({ method, error: code });
          process.stderr.write(`slack sandbox: ${method} answered "${code}", which Slack does not list for it\n`);
        }
        return send(status, { ok: false, error: code, ...extra }, headers);
      };

      const meta = metadata.methods.get(method);
      if (!meta) return fail('unknown_method', {}, {}, 404);

      // Something a person does in Slack at this very moment (a test's race), before the call is applied.
      await deps.beforeCall?.(method);

      const fault = faults.take(method);
      if (fault) {
        record.fault = fault.kind;
        if (fault.kind === '500') return send(500, { ok: false, error: 'service_unavailable' });
        if (fault.kind === '429') {
          record.retryAfter = fault.retryAfterSeconds;
          return fail('ratelimited', {}, { 'retry-after': String(fault.retryAfterSeconds) }, 429);
        }
        // Held before anything is checked or applied, as a call slow to reach Slack; applied even if the client gave up meanwhile.
        if (fault.kind === 'latency') await new Promise((r) => setTimeout(r, fault.latencyMs));
        if (fault.kind === 'hang') {
          record.status = undefined;
          deps.hanging.add(req);
          reply.hijack();
          req.raw.once('close', () => deps.hanging.delete(req));
          return;
        }
      }

      if (parsed.problem) return fail(parsed.problem);

      let token: TokenInfo | undefined;
      const needsToken = meta.required.includes('token');
      const tokenString = bearer(req) ?? (typeof parsed.args.token === 'string' ? parsed.args.token : undefined);
      if (needsToken) {
        if (!tokenString) return fail('not_authed');
        token = services.state.tokens.get(tokenString);
        if (!token) return fail('invalid_auth');
        if (token.revoked) return fail(token.type === 'bot' ? 'account_inactive' : 'token_revoked');
        record.teamId = token.teamId;
        record.tokenType = token.type;
        record.userId = token.userId;
      }
      const scopeHeaders: Record<string, string> = {};
      if (token) {
        scopeHeaders['x-oauth-scopes'] = token.scopes.join(',');
        scopeHeaders['x-accepted-oauth-scopes'] = (meta.scopes[token.type] ?? []).join(',');
      }

      const rateKey = tokenString ?? `ip:${req.ip}`;
      const wait = services.rateLimiter.checkMethod(rateKey, method, meta.rateTier, services.clock.now());
      if (wait) {
        record.retryAfter = wait;
        return fail('ratelimited', {}, { ...scopeHeaders, 'retry-after': String(wait) }, 429);
      }

      if (token) {
        const accepted = meta.scopes[token.type];
        const other = meta.scopes[token.type === 'bot' ? 'user' : 'bot'];
        if ((!accepted || accepted.length === 0) && other && other.length > 0) return fail('not_allowed_token_type', {}, scopeHeaders);
        if (accepted && accepted.length > 0 && !accepted.some((s) => token!.scopes.includes(s))) {
          return fail('missing_scope', { needed: accepted.join(','), provided: token.scopes.join(',') }, scopeHeaders);
        }
      }

      for (const arg of meta.required) {
        if (arg === 'token') continue;
        const v = parsed.args[arg];
        if (v === undefined || v === null || v === '') return fail(missingArgumentError(metadata, method, arg), {}, scopeHeaders);
      }

      const handler = METHOD_HANDLERS[method];
      if (!handler) return fail('unknown_method', {}, {}, 404);
      const ctx: MethodContext = {
        method,
        args: parsed.args,
        token: token as TokenInfo,
        services,
        state: services.state,
        basicAuth: basicAuth(req),
        warnings: [],
      };
      let body: Record<string, unknown>;
      try {
        body = await handler(ctx);
      } catch (err) {
        if (err instanceof ApiError) return fail(err.code, err.extra, scopeHeaders);
        if (err instanceof RateLimited) {
          record.retryAfter = err.retryAfterSeconds;
          return fail('ratelimited', {}, { ...scopeHeaders, 'retry-after': String(err.retryAfterSeconds) }, 429);
        }
        throw err;
      }
      const out: Record<string, unknown> = { ok: true, ...body };
      if (ctx.warnings.length) {
        out.warning = ctx.warnings.join(',');
        out.response_metadata = { ...(out.response_metadata as object), warnings: ctx.warnings };
      }
      if (fault?.kind === 'drop_response') {
        // Applied, then the connection is cut before a byte of the answer: the client sees a reset.
        record.status = undefined;
        record.ok = true;
        record.response = out;
        reply.hijack();
        req.raw.socket.destroy();
        return;
      }
      return send(200, out, scopeHeaders);
    };

    api.post('/api/:method', handle);
    api.get('/api/:method', handle);
  });
}
