/**
 * A GitHub App authenticates as itself with a JWT: RS256, signed with the
 * App's private key, `iss` the App's id, `iat` not in the future and `exp`
 * at most ten minutes ahead (GitHub's documented limits). The stand-in checks
 * each of these with the App's public key and answers what GitHub answers
 * when one fails: 401 with GitHub's message.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** GitHub refuses a JWT whose `exp` is more than ten minutes ahead. */
export const MAX_JWT_LIFETIME_SECONDS = 600;

export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  iat: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  exp: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
  unknownApp: 'Integration not found',
} as const;

export type JwtCheck = { ok: true; appId: number } | { ok: false; message: string };

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks `jwt` as GitHub does: its shape, RS256, the signature with the public
 * key of the App `iss` names, then `iat` and `exp` against `nowSeconds`.
 */
export function verifyAppJwt(jwt: string, publicKeyOf: (appId: string) => KeyObject | undefined, nowSeconds: number): JwtCheck {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, message: JWT_MESSAGES.undecodable };
  const [h, p, s] = parts as [string, string, string];
  const header = b64json(h);
  const claims = b64json(p);
  if (!header || !claims || header.alg !== 'RS256') return { ok: false, message: JWT_MESSAGES.undecodable };
  const iss = claims.iss;
  if ((typeof iss !== 'number' && typeof iss !== 'string') || String(iss) === '') return { ok: false, message: JWT_MESSAGES.undecodable };
  const key = publicKeyOf(String(iss));
  if (!key) return { ok: false, message: JWT_MESSAGES.unknownApp };
  if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return { ok: false, message: JWT_MESSAGES.undecodable };
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds) return { ok: false, message: JWT_MESSAGES.iat };
  if (typeof exp !== 'number' || exp <= nowSeconds) return { ok: false, message: JWT_MESSAGES.exp };
  if (exp > nowSeconds + MAX_JWT_LIFETIME_SECONDS || exp - iat > MAX_JWT_LIFETIME_SECONDS) return { ok: false, message: JWT_MESSAGES.expTooFar };
  return { ok: true, appId: Number(iss) };
}

export interface SignAppJwtOptions {
  appId: number | string;
  /** PEM (PKCS#1 as GitHub hands it out, or PKCS#8). */
  privateKey: string | KeyObject;
  /** @default now - 30 s (as @octokit/auth-app does, for clock drift) */
  iat?: number;
  /** @default iat + 600 s */
  exp?: number;
  /** Only for tests of a refused algorithm. @default 'RS256' */
  alg?: string;
}

/** An App JWT, as `@octokit/auth-app` makes one: for tests that need a bad one (expired, wrong key). */
export function signAppJwt(o: SignAppJwtOptions): string {
  const iat = o.iat ?? Math.floor(Date.now() / 1000) - 30;
  const exp = o.exp ?? iat + MAX_JWT_LIFETIME_SECONDS;
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: o.alg ?? 'RS256', typ: 'JWT' })}.${enc({ iat, exp, iss: o.appId })}`;
  const key = typeof o.privateKey === 'string' ? createPrivateKey(o.privateKey) : o.privateKey;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** The public key of a PEM public or private key. */
export function publicKeyFrom(pem: string | KeyObject): KeyObject {
  return createPublicKey(pem);
}
