/**
 * The host rules of `outbound.allowHosts` and `outbound.privateHosts`, and
 * how a URL matches them: pure, so the configuration schema can check them
 * without loading the outbound client (src/net/outbound.ts).
 */

/** A host rule of `outbound.allowHosts` / `outbound.privateHosts`: `host`, `host:port`, `[v6]:port`, or (allowHosts) `*.domain`. */
export interface HostRule {
  hostname: string;
  port?: number;
  wildcard: boolean;
}

/** Why `entry` is not a host rule, or undefined when it is one. */
export function hostRuleProblem(entry: string, options: { wildcard?: boolean } = {}): string | undefined {
  try {
    parseHostRule(entry, options);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function parseHostRule(entry: string, options: { wildcard?: boolean } = {}): HostRule {
  const wildcard = entry.startsWith('*.');
  if (wildcard && !options.wildcard) throw new Error(`"${entry}": name the host itself, without a wildcard`);
  const rest = wildcard ? entry.slice(2) : entry;
  if (!rest || /[/?#@\s\\]/.test(rest)) throw new Error(`"${entry}" is not a host: give a host name or address, optionally with :port (no scheme, path or user)`);
  let url: URL;
  try {
    url = new URL(`http://${rest}`);
  } catch {
    throw new Error(`"${entry}" is not a host: give a host name or address, optionally with :port (IPv6 in brackets)`);
  }
  const port = /:(\d{1,5})$/.exec(rest)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw new Error(`"${entry}": the port must be 1 to 65535`);
  return { hostname: normalizeHostname(url.hostname), ...(port !== undefined ? { port: Number(port) } : {}), wildcard };
}

/** Lowercase (the URL parser's), without a trailing dot and IPv6 brackets. */
export function normalizeHostname(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export function ruleMatches(rule: HostRule, url: URL): boolean {
  if (rule.port !== undefined && rule.port !== portOf(url)) return false;
  const hostname = normalizeHostname(url.hostname);
  return rule.wildcard ? hostname.endsWith(`.${rule.hostname}`) : hostname === rule.hostname;
}

/** Slack's own hosts (slack.com and GovSlack): called whatever `allowHosts` says; they are public. */
export function isSlackHost(url: URL): boolean {
  const h = normalizeHostname(url.hostname);
  return h === 'slack.com' || h.endsWith('.slack.com') || h === 'slack-gov.com' || h.endsWith('.slack-gov.com');
}
