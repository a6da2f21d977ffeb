/** Helpers for the sandbox's own tests: a WebClient as Signalroom configures it, and the conformance check. */
import { WebClient } from '@slack/web-api';
import type { Sandbox } from '../../src/sandbox';

/** A WebClient with its own retries off, as Signalroom's activities use it (Temporal owns retries). */
/** `token` null means no token at all (undefined means the sandbox's bot token). */
export function webClient(sandbox: Sandbox, token?: string | null, options: { timeout?: number } = {}): WebClient {
  return new WebClient(token === undefined ? sandbox.botToken : (token ?? undefined), { slackApiUrl: sandbox.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: options.timeout, logLevel: undefined, logger: silentLogger });
}

/** The Slack error code of a failed call (WebClient's `data.error`), or the SDK error code. */
export async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = err as { data?: { error?: string }; code?: string };
    return e.data?.error ?? e.code ?? String(err);
  }
  throw new Error('expected the call to fail');
}

/** Every error the sandbox answered is one Slack lists for the method (method errors plus common errors). */
export function expectOnlyListedErrors(sandbox: Sandbox): void {
  const unlisted = sandbox
    .calls()
    .filter((c) => c.error && !sandbox.metadata.isListedError(c.method, c.error))
    .map((c) => `${c.method}: ${c.error}`);
  expect(unlisted).toEqual([]);
  expect(sandbox.violations()).toEqual([]);
}

const noop = () => undefined;
export const silentLogger = { debug: noop, info: noop, warn: noop, error: noop, setLevel: noop, getLevel: () => 'error' as never, setName: noop };

/** A Slack-style JSON answer (`ok`, `error`) of a raw fetch. */
export async function jsonOf(res: Response): Promise<{ ok?: boolean; error?: string }> {
  return (await res.json()) as { ok?: boolean; error?: string };
}
