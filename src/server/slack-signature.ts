/**
 * Slack's request signature (v0), as documented at
 * https://api.slack.com/authentication/verifying-requests-from-slack:
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{rawBody}">`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a request older (or newer) than this is refused. */
export const SIGNATURE_MAX_AGE_SECONDS = 5 * 60;

export type SignatureProblem = 'missing_signature' | 'missing_timestamp' | 'invalid_timestamp' | 'stale_timestamp' | 'invalid_signature';

export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem; message: string };

export interface SignatureInput {
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  /** Candidate signing secrets: one per configured Slack app; any may match. */
  secrets: readonly string[];
  /** Current time in milliseconds. @default Date.now() */
  nowMs?: number;
}

export function computeSlackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export function verifySlackSignature(input: SignatureInput): SignatureCheck {
  if (!input.timestamp) return { ok: false, problem: 'missing_timestamp', message: 'the X-Slack-Request-Timestamp header is missing' };
  if (!input.signature) return { ok: false, problem: 'missing_signature', message: 'the X-Slack-Signature header is missing' };
  if (!/^\d{1,12}$/.test(input.timestamp)) {
    return { ok: false, problem: 'invalid_timestamp', message: 'X-Slack-Request-Timestamp must be a Unix time in seconds' };
  }
  const skew = Math.abs((input.nowMs ?? Date.now()) / 1000 - Number(input.timestamp));
  if (skew > SIGNATURE_MAX_AGE_SECONDS) {
    return { ok: false, problem: 'stale_timestamp', message: `X-Slack-Request-Timestamp is more than ${SIGNATURE_MAX_AGE_SECONDS / 60} minutes away from the server's clock` };
  }
  const given = Buffer.from(input.signature, 'utf8');
  let matched = false;
  // Every secret is tried, so the time taken does not tell which one matched.
  for (const secret of input.secrets) {
    const expected = Buffer.from(computeSlackSignature(secret, input.timestamp, input.rawBody), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
  }
  if (!matched) return { ok: false, problem: 'invalid_signature', message: 'X-Slack-Signature does not match the body for any configured signing secret' };
  return { ok: true };
}
