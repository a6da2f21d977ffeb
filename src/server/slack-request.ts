/**
 * Every request Slack sends us (clicks, modal submissions, slash commands) is
 * checked here, once: the raw body is kept for the signature, the app the
 * request claims to come from chooses the one signing secret to check it
 * with, and what the signature proves travels on as `request.slack`.
 *
 * A signature proves which Slack app sent the request, nothing more
 * (SECURITY.md, "What Signalroom trusts, and for what"). When apps are identified in configuration (`appId`, `teamId`,
 * `enterpriseId`), a request claiming one app is verified with that app's
 * secret only; a signature made with another app's secret is refused. When
 * they are not, the secret that matches names the app.
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SlackApp } from '../slack/integrations';
import type { ServerMetrics } from './metrics';
import { verifySlackSignature, type SignatureProblem } from './slack-signature';
import { sealResponseUrl } from '../slack/response-url';

/** What a request claims about its origin, before it is verified. */
export interface SlackClaims {
  apiAppId?: string;
  /** `team.id`, `user.team_id` or a command's `team_id`: every workspace the request names. */
  teamIds: string[];
  enterpriseId?: string;
}

/** What a verified request proves: the app (and so the integrations) that signed it. */
export interface VerifiedSlackApp {
  integrations: string[];
  appId?: string;
  /** The workspace the request names, now vouched for by the app that signed it. */
  teamId?: string;
  enterpriseId?: string;
  /** Seals a response_url of this request with the app's key, for a signal (see src/slack/response-url.ts). */
  seal(responseUrl: string): string;
}

export type SlackAppsSource = () => readonly SlackApp[];

export type SlackVerification =
  | { ok: true; app: VerifiedSlackApp }
  | { ok: false; problem: SignatureProblem | 'unknown_app' | 'missing_app_id'; message: string };

/** The apps a request may have come from, given what it claims. */
export function candidateApps(apps: readonly SlackApp[], claims: SlackClaims): SlackApp[] {
  return apps.filter((app) => {
    if (app.appId && claims.apiAppId && app.appId !== claims.apiAppId) return false;
    if (app.appId && !claims.apiAppId) return false;
    if (app.teamId || app.enterpriseId) {
      const sameTeam = app.teamId !== undefined && claims.teamIds.includes(app.teamId);
      const sameEnterprise = app.enterpriseId !== undefined && claims.enterpriseId === app.enterpriseId;
      if (!sameTeam && !sameEnterprise) return false;
    }
    return true;
  });
}

export function verifySlackRequest(input: {
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  apps: readonly SlackApp[];
  claims: SlackClaims;
  nowMs: number;
}): SlackVerification {
  const candidates = candidateApps(input.apps, input.claims);
  if (input.apps.length > 0 && candidates.length === 0) {
    // Apps identified by appId are chosen by the api_app_id a request carries; without one, say so
    // rather than call a configured workspace unknown (Slack's documented view_submission example has none).
    const byAppId = input.apps.filter((app) => app.appId);
    if (!input.claims.apiAppId && byAppId.length > 0 && candidateApps(input.apps.map((app) => ({ ...app, appId: undefined })), input.claims).length > 0) {
      const where = input.claims.teamIds[0] ? ` from workspace ${input.claims.teamIds[0]}` : '';
      const ids = [...new Set(byAppId.map((app) => app.appId))].join(', ');
      return {
        ok: false,
        problem: 'missing_app_id',
        message: `the request${where} carries no api_app_id, and the Slack apps configured here are told apart by it (appId ${ids}): without it, no signing secret can be chosen`,
      };
    }
    const named = [input.claims.apiAppId && `app ${input.claims.apiAppId}`, input.claims.teamIds[0] && `workspace ${input.claims.teamIds[0]}`].filter(Boolean).join(', ');
    return { ok: false, problem: 'unknown_app', message: `the request comes from ${named || 'an unnamed app'}, which is not a Slack app configured here` };
  }
  let matched: SlackApp | undefined;
  // Every candidate is checked, so the time taken does not tell which one matched.
  for (const app of candidates) {
    const check = verifySlackSignature({ rawBody: input.rawBody, signature: input.signature, timestamp: input.timestamp, secrets: [app.signingSecret], nowMs: input.nowMs });
    if (check.ok) matched ??= app;
    else if (check.problem !== 'invalid_signature') return check;
  }
  if (!matched) {
    const header = verifySlackSignature({ rawBody: input.rawBody, signature: input.signature, timestamp: input.timestamp, secrets: [], nowMs: input.nowMs });
    if (!header.ok && header.problem !== 'invalid_signature') return header;
    const whose = candidates.length === 1 && input.apps.length > 1 ? `the signing secret of ${candidates[0].integrations.join(', ')}` : 'any configured signing secret';
    return { ok: false, problem: 'invalid_signature', message: `X-Slack-Signature does not match the body for ${whose}` };
  }
  const teamId = matched.teamId && input.claims.teamIds.includes(matched.teamId) ? matched.teamId : input.claims.teamIds[0];
  return { ok: true, app: new VerifiedApp(matched, teamId, input.claims) };
}

/**
 * What a verified request proves. `seal` is a method, so a click makes no
 * closure for it; the signing secret it seals with is a private field, which
 * no log line or JSON of the request can show.
 */
class VerifiedApp implements VerifiedSlackApp {
  readonly integrations: string[];
  readonly appId?: string;
  readonly enterpriseId?: string;
  readonly #sealWith: string;
  readonly #secret: string;

  constructor(
    app: SlackApp,
    readonly teamId: string | undefined,
    claims: SlackClaims,
  ) {
    this.integrations = [...app.integrations];
    this.appId = app.appId ?? claims.apiAppId;
    this.enterpriseId = claims.enterpriseId;
    this.#sealWith = app.integrations[0];
    this.#secret = app.signingSecret;
  }

  seal(responseUrl: string): string {
    return sealResponseUrl(responseUrl, this.#sealWith, this.#secret);
  }
}

/**
 * The form Slack sent, read once per request: its fields, and its `payload`
 * field as JSON (interactions; slash commands have none). The claims and the
 * route both read this, so the body is parsed once.
 */
export interface SlackForm {
  fields: FormFields;
  /** Absent without a `payload` field; `error` when it is not JSON. */
  payload?: { value: unknown } | { error: string };
}

/** A form's fields as URLSearchParams reads them: `get` gives a name's first value, or null. */
export interface FormFields {
  get(name: string): string | null;
}

class DecodedForm implements FormFields {
  constructor(private readonly fields: Map<string, string>) {}
  get(name: string): string | null {
    return this.fields.get(name) ?? null;
  }
}

/** One name or value of a form: `+` is a space, then percent-decoding (throws on what is not UTF-8). */
function decodeFormPart(part: string): string {
  const spaced = part.includes('+') ? part.replaceAll('+', ' ') : part;
  return spaced.includes('%') ? decodeURIComponent(spaced) : spaced;
}

/**
 * Reads an `application/x-www-form-urlencoded` body exactly as
 * URLSearchParams does, at a third of its cost: Slack's forms are a few
 * fields, and the engine's decodeURIComponent decodes them much faster than
 * URLSearchParams' own decoder (bench/README.md, Findings). What
 * decodeURIComponent refuses (a `%` not followed by two hex digits, bytes
 * that are not UTF-8) is left to URLSearchParams, which has its own rules
 * for those.
 */
export function formFields(body: string): FormFields {
  const fields = new Map<string, string>();
  try {
    for (let start = body.startsWith('?') ? 1 : 0; start < body.length; ) {
      const amp = body.indexOf('&', start);
      const end = amp < 0 ? body.length : amp;
      if (end > start) {
        const eq = body.indexOf('=', start);
        const split = eq >= 0 && eq < end ? eq : end;
        const name = decodeFormPart(body.slice(start, split));
        if (!fields.has(name)) fields.set(name, split < end ? decodeFormPart(body.slice(split + 1, end)) : '');
      }
      start = end + 1;
    }
  } catch {
    return new URLSearchParams(body);
  }
  return new DecodedForm(fields);
}

export function readSlackForm(rawBody: string): SlackForm {
  const fields = formFields(rawBody);
  const json = fields.get('payload');
  if (json === null) return { fields };
  try {
    return { fields, payload: { value: JSON.parse(json) as unknown } };
  } catch (err) {
    return { fields, payload: { error: (err as Error).message } };
  }
}

/** The claims of an interaction payload (`payload=` JSON) or a slash command's form fields. */
export function claimsOf(form: SlackForm): SlackClaims {
  const { fields, payload } = form;
  if (payload === undefined) {
    const team = fields.get('team_id') ?? undefined;
    return { apiAppId: fields.get('api_app_id') ?? undefined, teamIds: team ? [team] : [], enterpriseId: fields.get('enterprise_id') ?? undefined };
  }
  if (!('value' in payload) || !payload.value || typeof payload.value !== 'object') return { teamIds: [] };
  const p = payload.value as { team?: { id?: unknown } | null; api_app_id?: unknown; user?: { team_id?: unknown } | null; enterprise?: { id?: unknown } | null };
  const teamIds = [p.team?.id, p.user?.team_id].filter((t): t is string => typeof t === 'string' && t.length > 0);
  return {
    apiAppId: typeof p.api_app_id === 'string' ? p.api_app_id : undefined,
    teamIds: [...new Set(teamIds)],
    enterpriseId: typeof p.enterprise?.id === 'string' ? p.enterprise.id : undefined,
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on Slack routes once the request is verified: the app that signed it. */
    slack?: VerifiedSlackApp;
    /** Set on Slack routes before verification: the body's form, parsed once (see readSlackForm). */
    slackForm?: SlackForm;
  }
}

export interface SlackRequestOptions {
  apps: SlackAppsSource;
  metrics: ServerMetrics;
  /** Largest accepted body. */
  bodyLimit: number;
  now: () => number;
}

/**
 * Registered in the context of a Slack route (interactions, commands): form
 * bodies kept as strings, `ssl_check` answered, everything else verified
 * before the handler runs. Refused signatures are counted in the metrics.
 */
export const slackRequests = fp<SlackRequestOptions>(
  async (app, options) => {
    const count = options.metrics.countClick;
    app.decorateRequest('slack', undefined);
    app.decorateRequest('slackForm', undefined);
    // The signature covers the exact bytes Slack sent: keep the body as a string.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: options.bodyLimit }, (_req, body, done) => done(null, body));
    // Oversized and wrongly typed bodies fail before the handler runs.
    app.addHook('onError', async (_request, _reply, error) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status < 500) count('malformed');
    });
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const form = readSlackForm(rawBody);
      // Slack's reachability probe (and doctor's) carries nothing to act on.
      if (form.fields.get('ssl_check') === '1') return reply.code(200).send({ ok: true });
      const verified = verifySlackRequest({
        rawBody,
        signature: request.headers['x-slack-signature'] as string | undefined,
        timestamp: request.headers['x-slack-request-timestamp'] as string | undefined,
        apps: options.apps(),
        claims: claimsOf(form),
        nowMs: options.now(),
      });
      if (!verified.ok) {
        count('rejected_signature');
        request.log.warn({ problem: verified.problem }, 'Slack request refused');
        return reply.code(401).send({ error: verified.problem, message: verified.message });
      }
      request.slack = verified.app;
      request.slackForm = form;
    });
  },
  { name: 'signalroom-slack-requests' },
);
