/**
 * Webhook deliveries as GitHub sends them to an App's webhook URL: a POST of
 * compact JSON, signed with the App's webhook secret
 * (`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>`, and the
 * legacy SHA-1 `X-Hub-Signature`), with the `X-GitHub-*` headers the webhooks
 * description lists. GitHub waits 10 seconds for the answer and does not
 * retry by itself; a redelivery (from the App's settings) sends the same body
 * under the same `X-GitHub-Delivery`.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

/** GitHub gives up on a webhook delivery after 10 seconds. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface DeliveryResponse {
  /** The App's HTTP status; undefined when it did not answer (error says why). */
  status?: number;
  body: string;
  durationMs: number;
  error?: 'no_webhook_url' | 'timeout' | 'connection_failed';
}

export interface DeliveryRecord {
  /** `X-GitHub-Delivery`: a GUID, the same on a redelivery. */
  id: string;
  /** `X-GitHub-Event`, e.g. `deployment_protection_rule`. */
  event: string;
  action: string;
  appId: number;
  installationId: number;
  url?: string;
  /** The headers sent (lower case). */
  headers: Record<string, string>;
  /** The raw body, exactly as signed. */
  body: string;
  payload: Record<string, unknown>;
  redelivery: boolean;
  response: DeliveryResponse;
  at: number;
}

/** `sha256=` + HMAC-SHA256(secret, body), hex: GitHub's `X-Hub-Signature-256`. */
export function signatureFor(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** GitHub's legacy `X-Hub-Signature` (SHA-1), still sent beside the SHA-256 one. */
export function legacySignatureFor(secret: string, body: string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

const HOOKSHOT_VERSION = randomBytes(4).toString('hex').slice(0, 7);

export interface DeliveryTarget {
  appId: number;
  hookId: number;
  installationId: number;
  secret: string;
  url?: string;
}

export function deliveryHeaders(id: string, event: string, target: DeliveryTarget, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': `GitHub-Hookshot/${HOOKSHOT_VERSION}`,
    'x-github-delivery': id,
    'x-github-event': event,
    'x-github-hook-id': String(target.hookId),
    // An App's webhook: its target is the App (type `integration`), not the repository.
    'x-github-hook-installation-target-id': String(target.appId),
    'x-github-hook-installation-target-type': 'integration',
    'x-hub-signature': legacySignatureFor(target.secret, body),
    'x-hub-signature-256': signatureFor(target.secret, body),
  };
}

export function newDelivery(event: string, payload: Record<string, unknown>, target: DeliveryTarget): DeliveryRecord {
  const id = randomUUID();
  const body = JSON.stringify(payload);
  return {
    id,
    event,
    action: String(payload.action ?? ''),
    appId: target.appId,
    installationId: target.installationId,
    url: target.url,
    headers: deliveryHeaders(id, event, target, body),
    body,
    payload,
    redelivery: false,
    response: { body: '', durationMs: 0 },
    at: Date.now(),
  };
}

/** POSTs the delivery and records how the App answered. */
export async function send(record: DeliveryRecord, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<DeliveryRecord> {
  if (!record.url) {
    record.response = { body: '', durationMs: 0, error: 'no_webhook_url' };
    return record;
  }
  const started = performance.now();
  try {
    const res = await fetch(record.url, { method: 'POST', headers: record.headers, body: record.body, signal: AbortSignal.timeout(timeoutMs) });
    record.response = { status: res.status, body: await res.text(), durationMs: performance.now() - started };
  } catch (err) {
    record.response = { body: '', durationMs: performance.now() - started, error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection_failed' };
  }
  return record;
}
