/**
 * The `callback` outcome target: the approval's outcome POSTed as JSON to the
 * request's callback URL, signed with `callbacks.signingSecret`
 * (src/callbacks/signature.ts), through the one outbound client (its address
 * rules, no redirects, bounded size and time). README, "Pipelines";
 * SECURITY.md, "A callback is signed, and goes through the outbound client".
 *
 * Temporal owns retries: a network failure, a timeout, 408, 429 or a 5xx
 * throws to be tried again; a refusal by the outbound client or any other
 * answer (a 4xx) is final, and the workflow records it as a problem beside
 * the outcome. Messages name the host only, never the URL's path or query.
 */
import { OutboundRefused, type OutboundClient } from '../src/net/outbound';
import { refusal } from '../src/slack/errors';
import { SIGNATURE_HEADER, signCallback, TIMESTAMP_HEADER } from '../src/callbacks/signature';
import type { OutcomeReport } from '../core/approval/types';
import type { OutcomeDeliverer } from './outcomes';

/** What a callback's body says: the outcome, as the API's final view names it. */
export interface CallbackBody extends OutcomeReport {
  event: 'approval.decided';
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

export function callbackDeliverer(deps: { outbound: OutboundClient; signingSecret?: string; now?: () => number }): OutcomeDeliverer<'callback'> {
  return async (target, report) => {
    if (!deps.signingSecret) throw refusal('Signalroom:callback_not_configured', 'callbacks.signingSecret is not configured on the worker: a callback is never sent unsigned');
    const body = JSON.stringify({ event: 'approval.decided', ...report } satisfies CallbackBody);
    const timestamp = Math.floor((deps.now ?? Date.now)() / 1000);
    const host = URL.canParse(target.url) ? new URL(target.url).host : '(none)';
    try {
      const res = await deps.outbound.request(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Signalroom-Callback/1',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signCallback(deps.signingSecret, timestamp, body),
          // The same for every try: a receiver that saw it already answers 2xx and does nothing.
          'x-signalroom-delivery': report.approvalId,
        },
        body,
        maxBytes: 64 * 1024,
        timeoutMs: 15_000,
      });
      if (res.status >= 200 && res.status < 300) return {};
      if (RETRYABLE(res.status)) throw new Error(`the callback at ${host} answered HTTP ${res.status}; trying again`);
      throw refusal('Signalroom:callback_refused', `the callback at ${host} answered HTTP ${res.status}`);
    } catch (err) {
      if (err instanceof OutboundRefused) throw refusal('Signalroom:callback_refused', err.message);
      throw err;
    }
  };
}
