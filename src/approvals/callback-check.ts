/**
 * Refuses a request's callback URL where the request enters (422, exit 64)
 * when the worker would refuse to call it: callbacks not configured (no
 * signing secret, so nothing could prove the outcome came from Signalroom),
 * or a host the outbound client's rules refuse (a loopback or private
 * address not named in `outbound.privateHosts`, cloud metadata, a host
 * outside `outbound.allowHosts`). SECURITY.md, "A callback is signed, and
 * goes through the outbound client". The worker checks again when it calls.
 */
import { OutboundClient, OutboundRefused, type OutboundPolicy } from '../net/outbound';

/** What is wrong with calling `url` back, or undefined. */
export type CallbackCheck = (url: string) => Promise<string | undefined>;

export function callbackCheck(settings: { policy: OutboundPolicy; signingSecret?: string }): CallbackCheck {
  const outbound = new OutboundClient(settings.policy);
  return async (url) => {
    if (!settings.signingSecret) return 'callbacks are not configured (callbacks.signingSecret): a callback is never sent unsigned';
    try {
      await outbound.check(url);
      return undefined;
    } catch (err) {
      if (err instanceof OutboundRefused) return err.message;
      throw err;
    }
  };
}
