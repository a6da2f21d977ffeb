/**
 * What a Web API method handler gets: the parsed arguments, the caller's
 * token and the sandbox's services, and the helpers that read arguments as
 * Slack does. A handler refuses with ApiError (./api-error).
 */
import type { SandboxClock } from './clock';
import type { RateLimiter } from './rate-limit';
import type { Channel, SandboxState, TokenInfo, User } from './state';
import type { TriggerStore } from './triggers';
import type { OAuthStore } from './oauth';
import type { ViewStore } from './view-store';
import { ApiError } from './api-error';
import { canSee, channelKind, missingChannelScope, type ChannelOperation } from './rules';

export interface SandboxServices {
  state: SandboxState;
  clock: SandboxClock;
  rateLimiter: RateLimiter;
  triggers: TriggerStore;
  oauth: OAuthStore;
  /** Modals and Home tabs: views.* and a view submission's response_action. */
  views: ViewStore;
  /** Base URL of the sandbox, e.g. http://127.0.0.1:40123 */
  baseUrl(): string;
}

export interface MethodContext {
  method: string;
  args: Record<string, unknown>;
  /** The caller's token; every method but oauth.v2.access has one. */
  token: TokenInfo;
  services: SandboxServices;
  state: SandboxState;
  /** Basic-auth credentials, for oauth.v2.access. */
  basicAuth?: { user: string; password: string };
  warnings: string[];
}

export type MethodHandler = (ctx: MethodContext) => Record<string, unknown> | Promise<Record<string, unknown>>;

export function str(ctx: MethodContext, name: string): string | undefined {
  const v = ctx.args[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function bool(ctx: MethodContext, name: string): boolean {
  const v = ctx.args[name];
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** A JSON argument: a string from form bodies, already a value from JSON bodies. */
export function jsonArg(ctx: MethodContext, name: string): { value?: unknown; malformed?: boolean } {
  const v = ctx.args[name];
  if (v === undefined || v === null || v === '') return {};
  if (typeof v !== 'string') return { value: v };
  try {
    return { value: JSON.parse(v) };
  } catch {
    return { malformed: true };
  }
}

/**
 * The conversation named by `name` (an id, a `#name`, or for chat methods a
 * user id meaning the DM with them). Invisible conversations are not found.
 */
export function channelArg(ctx: MethodContext, name = 'channel', opts: { allowUserId?: boolean; allowName?: boolean } = {}): Channel {
  const raw = str(ctx, name);
  if (!raw) throw new ApiError('channel_not_found');
  const { state, token } = ctx;
  let channel: Channel | undefined = state.channels.get(raw);
  if (!channel && opts.allowUserId && /^[UW]/.test(raw)) {
    const user = state.users.get(raw);
    if (user && user.teamId === token.teamId && !user.isBot) channel = state.imWith(token.teamId, raw);
  }
  if (!channel && opts.allowName) channel = state.channelByName(raw, token.teamId);
  if (!channel || !canSee(channel, token)) throw new ApiError('channel_not_found');
  return channel;
}

export function userArg(ctx: MethodContext, name = 'user', notFound = 'user_not_found'): User {
  const id = str(ctx, name);
  const user = id ? ctx.state.users.get(id) : undefined;
  if (!user || user.teamId !== ctx.token.teamId) throw new ApiError(notFound);
  return user;
}

export function requireChannelScope(ctx: MethodContext, op: ChannelOperation, channel: Pick<Channel, 'isIm' | 'isPrivate'>): void {
  const needed = missingChannelScope(op, channelKind(channel), ctx.token);
  if (needed) throw new ApiError('missing_scope', { needed: needed.join(','), provided: ctx.token.scopes.join(',') });
}

/** Cursor pagination as Slack does it: an opaque base64 cursor, `next_cursor` empty on the last page. */
export function paginate<T>(ctx: MethodContext, items: T[], defaultLimit: number): { page: T[]; nextCursor: string } {
  const cursor = str(ctx, 'cursor');
  let offset = 0;
  if (cursor) {
    const decoded = /^next:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
    if (!decoded) throw new ApiError('invalid_cursor');
    offset = Number(decoded[1]);
  }
  const rawLimit = str(ctx, 'limit');
  let limit = rawLimit === undefined || rawLimit === '' ? defaultLimit : Number(rawLimit);
  if (!Number.isFinite(limit) || limit < 0) limit = defaultLimit;
  if (limit === 0) limit = defaultLimit || items.length;
  limit = Math.min(limit, 1000);
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? Buffer.from(`next:${offset + limit}`).toString('base64') : '';
  return { page, nextCursor: next };
}
