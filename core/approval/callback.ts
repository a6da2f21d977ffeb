/**
 * A request's callback URL: where Signalroom POSTs the outcome once decided
 * (README, "Pipelines"). What can be told from the text alone is checked
 * here, where a request enters; whether its host may be called is the
 * outbound client's rule (src/net/outbound.ts), checked at the edge too.
 */

/** The longest callback URL a request may carry. */
export const MAX_CALLBACK_URL_LENGTH = 2000;

/** What is wrong with `url` as a callback, or undefined. */
export function callbackUrlProblem(url: string): string | undefined {
  if (url.length > MAX_CALLBACK_URL_LENGTH) return `a callback URL is at most ${MAX_CALLBACK_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL: give an http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `only http(s) URLs are called back, not ${parsed.protocol}`;
  if (parsed.username || parsed.password) return 'a callback URL carrying a user name or password is not called (the receiver checks the signature instead)';
  if (parsed.hash) return 'a callback URL has no #fragment';
  return undefined;
}

/** The callback URLs among a request's outcome targets. */
export function callbackUrlsOf(notify: ReadonlyArray<{ kind: string; url?: string }> | undefined): string[] {
  return (notify ?? []).flatMap((t) => (t.kind === 'callback' && typeof t.url === 'string' ? [t.url] : []));
}
