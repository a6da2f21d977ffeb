/**
 * The signature on a callback (README, "Pipelines"; SECURITY.md, "A callback
 * is signed, and goes through the outbound client"): HMAC-SHA256 with
 * `callbacks.signingSecret` over `<timestamp>.<body>`, sent as
 *
 *   X-Signalroom-Timestamp: <unix seconds>
 *   X-Signalroom-Signature: v1=<hex>
 *
 * so a receiver proves the body came from Signalroom, and refuses an old one
 * replayed. examples/callback-relay.mjs verifies it the same way, without
 * this module.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-signalroom-timestamp';
export const SIGNATURE_HEADER = 'x-signalroom-signature';
/** How old a signed callback a receiver should still take. */
export const CALLBACK_TOLERANCE_SECONDS = 300;

export function signCallback(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** True when `signature` signs `body` at `timestamp` with `secret`, and the timestamp is recent. */
export function verifyCallback(secret: string, headers: { timestamp?: string; signature?: string }, body: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > CALLBACK_TOLERANCE_SECONDS || !headers.signature) return false;
  const expected = Buffer.from(signCallback(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
