/**
 * A click's `response_url`: the one client for it (server and activities),
 * where it may point, and how it is kept out of workflow histories.
 *
 * - Replies go only to Slack's own hosts, plus the sandbox's when the sandbox
 *   is the configured Slack (SECURITY.md, "Replies go only to Slack"); a payload naming any other URL
 *   is refused before it reaches a workflow; the call itself goes through the
 *   outbound client (src/net/outbound.ts): no redirects, bounded, checked addresses.
 * - A response_url is a capability (5 uses within 30 minutes): the server
 *   seals it (AES-256-GCM, a key derived from the signing secret of the app
 *   that signed the click) before it goes into a signal, and only the
 *   activity that answers the clicker opens it again.
 */
import { OutboundClient } from '../net/outbound';
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/** Where Slack's response URLs live (slack.com and GovSlack). */
export const SLACK_RESPONSE_URL_BASES = ['https://hooks.slack.com/', 'https://hooks.slack-gov.com/'] as const;

/** What may follow a base for a URL to be written as the URL parser writes it: no dot, percent, query or anything to normalize. */
const PLAIN_PATH = /^[A-Za-z0-9_/-]*$/;

/** Whether a base is an origin and path as the URL parser writes them, ending in `/`; by base (a few, from configuration). */
const plainBases = new Map<string, boolean>();
const MAX_PLAIN_BASES = 256;

function isPlainBase(base: string): boolean {
  let plain = plainBases.get(base);
  if (plain === undefined) {
    try {
      const u = new URL(base);
      plain = base.endsWith('/') && u.href === base && !u.username && !u.password && !u.search && !u.hash;
    } catch {
      plain = false;
    }
    if (plainBases.size >= MAX_PLAIN_BASES) plainBases.clear();
    plainBases.set(base, plain);
  }
  return plain;
}

/**
 * Why a URL may not be used as a response_url, or undefined when it may.
 * A URL that is a plain base followed by plain path characters is one the
 * parser would write unchanged, so it is accepted without parsing it (every
 * click carries one; bench/README.md, Findings); anything else is parsed.
 */
export function responseUrlProblem(url: string, extraBases: readonly string[] = []): string | undefined {
  const plainUnder = (base: string) => url.startsWith(base) && isPlainBase(base) && PLAIN_PATH.test(url.slice(base.length));
  if (SLACK_RESPONSE_URL_BASES.some(plainUnder) || extraBases.some(plainUnder)) return undefined;
  return parsedResponseUrlProblem(url, extraBases);
}

/** The same check made by the URL parser alone, for any URL. */
export function parsedResponseUrlProblem(url: string, extraBases: readonly string[] = []): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'response_url is not a URL';
  }
  if (parsed.username || parsed.password) return 'response_url must not carry credentials';
  const normalized = parsed.href;
  const under = (base: string) => normalized.startsWith(base);
  if (SLACK_RESPONSE_URL_BASES.some(under) || extraBases.some(under)) return undefined;
  return `response_url must point at Slack (${SLACK_RESPONSE_URL_BASES.join(' or ')})`;
}

/** A self-hosted Slack Web API (the sandbox) answers clicks under `<origin>/actions/`. */
export function responseUrlBaseOf(apiUrl: string): string | undefined {
  try {
    const u = new URL(apiUrl);
    if (u.hostname === 'slack.com' || u.hostname.endsWith('.slack.com') || u.hostname === 'slack-gov.com' || u.hostname.endsWith('.slack-gov.com')) return undefined;
    return `${u.origin}/actions/`;
  } catch {
    return undefined;
  }
}

export class ResponseUrlRefused extends Error {
  readonly code = 'response_url_refused';
}

export interface ResponseUrlBody {
  text: string;
  blocks?: unknown[];
  replace_original?: boolean;
  delete_original?: boolean;
  response_type?: 'ephemeral' | 'in_channel';
}

export interface PostToResponseUrlOptions {
  extraBases?: readonly string[];
  /** @default 10000 */
  timeoutMs?: number;
  /**
   * The outbound client (src/net/outbound.ts) that makes the call.
   * @default one that lets `extraBases` (the configured Slack's own) be on a private address
   */
  outbound?: OutboundClient;
}

/** Slack answers a response_url with `ok` or a short error: nothing more is read. */
const RESPONSE_URL_ANSWER_BYTES = 16 * 1024;

/**
 * Posts to a response_url through the outbound client. Resolves with the
 * HTTP status; throws ResponseUrlRefused for a URL that is not Slack's
 * (nothing is sent), OutboundRefused for an address the client refuses or a
 * redirect (never followed), OutboundUnavailable when it cannot be reached.
 */
export async function postToResponseUrl(url: string, body: ResponseUrlBody, options: PostToResponseUrlOptions = {}): Promise<number> {
  const problem = responseUrlProblem(url, options.extraBases);
  if (problem) throw new ResponseUrlRefused(problem);
  const outbound = options.outbound ?? new OutboundClient({ slackBases: options.extraBases });
  const res = await outbound.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    maxBytes: RESPONSE_URL_ANSWER_BYTES,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  return res.status;
}

const SEALED = /^sealed:v1:([a-z0-9:_-]+):([A-Za-z0-9_-]+)$/;

/** Sealing keys by signing secret: one HKDF per secret, not one per click. A handful of apps, so the map stays small. */
const keys = new Map<string, KeyObject>();
const MAX_KEYS = 64;

function keyFor(signingSecret: string): KeyObject {
  let key = keys.get(signingSecret);
  if (!key) {
    key = createSecretKey(Buffer.from(hkdfSync('sha256', signingSecret, 'signalroom', 'response_url v1', 32)));
    // Secrets rotated away are forgotten eventually; the oldest goes first.
    if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
    keys.set(signingSecret, key);
  }
  return key;
}

/**
 * GCM nonces, 12 random bytes each, drawn from a pool filled by the CSPRNG a
 * few thousand at a time: every nonce is still random and used once, but one
 * `randomBytes` call per click cost more than the rest of the sealing
 * (bench/README.md, Findings).
 */
const IV_BYTES = 12;
const IV_POOL_BYTES = IV_BYTES * 4096;
let ivPool = Buffer.alloc(0);
let ivNext = 0;

function freshIv(): Buffer {
  if (ivNext + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_POOL_BYTES);
    ivNext = 0;
  }
  const iv = ivPool.subarray(ivNext, ivNext + IV_BYTES);
  ivNext += IV_BYTES;
  return iv;
}

/** `sealed:v1:<integration>:<iv|ciphertext|tag>`; the integration names whose secret opens it. */
export function sealResponseUrl(url: string, integration: string, signingSecret: string): string {
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', keyFor(signingSecret), iv);
  cipher.setAAD(Buffer.from(integration));
  const ct = cipher.update(url, 'utf8');
  const last = cipher.final();
  return `sealed:v1:${integration}:${Buffer.concat([iv, ct, last, cipher.getAuthTag()]).toString('base64url')}`;
}

export function isSealed(value: string): boolean {
  return SEALED.test(value);
}

/** Opens a sealed response_url with its integration's signing secret; a plain one (older signals) is returned as it is. */
export function openResponseUrl(value: string, secretOf: (integration: string) => string | undefined): string {
  const m = SEALED.exec(value);
  if (!m) return value;
  const secret = secretOf(m[1]);
  if (!secret) throw new ResponseUrlRefused(`no signing secret for ${m[1]} to open the click's response_url with`);
  const raw = Buffer.from(m[2], 'base64url');
  if (raw.length < 29) throw new ResponseUrlRefused('the sealed response_url is damaged');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secret), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(m[1]));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new ResponseUrlRefused('the sealed response_url does not open with its integration’s secret');
  }
}
