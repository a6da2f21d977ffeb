/** Identifiers in Slack's shapes: C…, U…, S…, T…, B…, V…, Q…, tokens and secrets. */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function slackId(prefix: 'C' | 'G' | 'D' | 'U' | 'S' | 'T' | 'B' | 'A' | 'V' | 'Q' | 'W' | 'F', length = 10): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

export function randomHex(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

export function tokenFor(type: 'bot' | 'user', teamId: string): string {
  const digits = () => String(BigInt(`0x${randomHex(6)}`)).slice(0, 13);
  return `${type === 'bot' ? 'xoxb' : 'xoxp'}-${teamId}-${digits()}-${randomBytes(18).toString('base64url')}`;
}

/** Trigger ids look like `1234567890123.1234567890.abcdef…`. */
export function triggerId(nowMs: number): string {
  return `${nowMs}.${String(BigInt(`0x${randomHex(4)}`))}.${randomHex(16)}`;
}
