/**
 * Bearer-token authentication for /api/v1. Tokens come from configuration
 * (`api.tokens`), are compared in constant time, and carry permissions:
 * 401 when the token is missing or unknown, 403 when it lacks the route's
 * permission.
 *
 * A route names the permission it needs in its config:
 *
 *     api.post('/approvals', { config: { permission: 'approvals:write' }, schema }, handler)
 *
 * and reads the caller from `request.apiToken`. Routes with
 * `config: { public: true }` need no token (the OpenAPI document).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from './errors';
import type { API_PERMISSIONS } from '../config/schema';

export type ApiPermission = (typeof API_PERMISSIONS)[number];

/** One configured API token (config `api.tokens[]`). */
export interface ApiTokenConfig {
  name: string;
  token: string;
  /** What it may do; none when absent. */
  permissions: readonly string[];
  /** The Slack user it decides as. */
  slackUser?: string;
}

/** Who called, as routes see it: never the token itself. */
export interface ApiCaller {
  name: string;
  permissions: string[];
  slackUser?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiToken?: ApiCaller;
  }
  interface FastifyContextConfig {
    /** The permission a /api/v1 route needs; any valid token when unset. */
    permission?: ApiPermission;
    /** No token needed. */
    public?: boolean;
  }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Finds the token's entry, comparing against every configured token in constant time. */
export function findApiToken(tokens: readonly ApiTokenConfig[], presented: string): ApiTokenConfig | undefined {
  const given = digest(presented);
  let found: ApiTokenConfig | undefined;
  for (const t of tokens) {
    if (timingSafeEqual(digest(t.token), given) && !found) found = t;
  }
  return found;
}

export function hasPermission(caller: ApiCaller, needed: string): boolean {
  return caller.permissions.includes('*') || caller.permissions.includes(needed);
}

/** How a refusal names what the token tried: `decide` / `decides` / `deciding`. */
export interface ActingVerb {
  verb: string;
  acts: string;
  acting: string;
}

/**
 * Whom a token acts as: its own Slack user (`slackUser`), or the user the
 * request names only when the token holds `anyone`, the `…-as-anyone`
 * permission of the route. A token proves its own name and permissions,
 * nothing more (SECURITY.md, "A token acts as its own user"). Undefined when
 * the request names nobody and the token is bound to no user.
 */
export function actingUser(caller: ApiCaller, named: string | undefined, anyone: ApiPermission, how: ActingVerb): string | undefined {
  if (named !== undefined && named !== caller.slackUser && !hasPermission(caller, anyone)) {
    throw forbidden(
      caller.slackUser
        ? `The token "${caller.name}" ${how.acts} as ${caller.slackUser} only; ${how.acting} as ${named} needs the permission ${anyone}.`
        : `The token "${caller.name}" is bound to no Slack user (slackUser), so it cannot ${how.verb} as ${named} without the permission ${anyone}.`,
    );
  }
  return named ?? caller.slackUser;
}

/** What a write through the API records beside the person it names: the token that made it. */
export const recordedCaller = (caller: ApiCaller) => ({ token: caller.name });

/** Registered inside the /api/v1 context: every route there, and every route a feature adds there, is protected. */
export const apiAuth = fp<{ tokens: readonly ApiTokenConfig[] }>(
  async (app, { tokens }) => {
    app.decorateRequest('apiToken', undefined);
    app.addHook('onRequest', async (request) => {
      const config = request.routeOptions.config;
      if (config?.public) return;
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match) throw unauthorized('Send an API token as `Authorization: Bearer <token>`.');
      const token = findApiToken(tokens, match[1]);
      if (!token) throw unauthorized('The API token is not known to this server.');
      request.apiToken = { name: token.name, permissions: [...token.permissions], ...(token.slackUser ? { slackUser: token.slackUser } : {}) };
      if (config?.permission && !hasPermission(request.apiToken, config.permission)) {
        throw forbidden(`The token "${token.name}" lacks the permission ${config.permission}.`);
      }
    });
  },
  { name: 'signalroom-api-auth' },
);
