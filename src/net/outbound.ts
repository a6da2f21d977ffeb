/**
 * The one outbound HTTP client: every URL Signalroom fetches or posts to on
 * someone's behalf (a click's response_url, Upload File's `Url:`, the upload
 * to Slack's file host, incoming webhooks, and any URL added later) goes
 * through `OutboundClient.request`. See SECURITY.md, "Outbound calls go
 * through one client".
 *
 * - Only public addresses: loopback, private, link-local, unique-local,
 *   CGNAT, unspecified, broadcast, multicast, reserved and cloud-metadata
 *   addresses are refused. The check is made on the address DNS answered,
 *   and the socket connects to that very address (the check is the socket's
 *   `lookup`), so a second, different answer (DNS rebinding) is never asked
 *   for. IPv4-mapped IPv6 counts as the IPv4 address it maps; decimal, octal
 *   and hex spellings of IPv4 are the address they spell (the WHATWG URL
 *   parser normalises them before anything else looks at the host).
 * - Exceptions, from configuration only: the configured Slack's own origin
 *   (the sandbox, on loopback in development), and hosts named in
 *   `outbound.privateHosts` (an internal dashboard). Cloud-metadata
 *   addresses never.
 * - `outbound.allowHosts`, when given, is the only hosts called besides
 *   Slack's own.
 * - No redirects: a 3xx is a refusal naming the host. The answer's size and
 *   the whole exchange's time are bounded.
 *
 * A refusal names the host, never the URL's path or query (a webhook URL is a
 * secret) and never a body.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { isSlackHost, normalizeHostname, parseHostRule, ruleMatches, type HostRule } from './host-rules';

/** What an address is, as far as calling it goes. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'carrier-grade NAT'
  | 'cloud metadata'
  | 'unspecified'
  | 'broadcast'
  | 'multicast'
  | 'reserved';

/** Instance metadata services (AWS, ECS, GCP over IPv6, Alibaba): never called, whatever the configuration says. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', 'fd20:ce::254', '100.100.100.200']);

/** What a host named in `outbound.privateHosts`, or the configured Slack's own origin, may resolve to besides public addresses. */
const PRIVATE_CLASSES = new Set<AddressClass>(['loopback', 'private', 'unique-local', 'carrier-grade NAT']);

const RANGES: Record<string, AddressClass> = {
  unicast: 'public',
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  uniqueLocal: 'unique-local',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
};

/**
 * The class of an IP address (IPv4 or IPv6, an IPv4-mapped IPv6 address
 * counting as the IPv4 address it maps). Anything that is not a plain public
 * unicast address, and anything unparsable, is not 'public'.
 */
export function classifyAddress(address: string): AddressClass {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  } catch {
    return 'reserved';
  }
  const canonical = parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
  if (METADATA.has(canonical)) return 'cloud metadata';
  return RANGES[parsed.range()] ?? 'reserved';
}

export interface OutboundPolicy {
  /** When not empty, the only hosts called besides Slack's own (`host`, `host:port` or `*.domain`). */
  allowHosts?: readonly string[];
  /** Hosts that may resolve to a loopback, private, unique-local or CGNAT address (`host` or `host:port`). */
  privateHosts?: readonly string[];
  /**
   * URL prefixes of the configured Slack's own (a self-hosted Slack API, the
   * sandbox in development): like privateHosts, and exempt from allowHosts.
   */
  slackBases?: readonly string[];
}

export type Resolve = (hostname: string) => Promise<Array<{ address: string; family?: number }>>;

/** The system resolver, every address it knows for the name. */
export const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export interface OutboundRequest {
  /** @default 'GET' */
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The most of the answer's body that is read; a longer answer is a refusal. @default 1 MiB */
  maxBytes?: number;
  /** The whole exchange: resolving, connecting, sending, and the answer's body. @default 10 s */
  timeoutMs?: number;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type OutboundRefusalReason = 'url' | 'host_not_allowed' | 'address' | 'redirect' | 'too_large';

/** Signalroom will not make (or finish) this call; trying again changes nothing. Names the host only. */
export class OutboundRefused extends Error {
  readonly code = 'outbound_refused';
  constructor(
    readonly host: string,
    readonly reason: OutboundRefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** The host could not be reached, or did not answer in time: worth another try later. Names the host only. */
export class OutboundUnavailable extends Error {
  readonly code = 'outbound_unavailable';
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

export interface OutboundClientOptions {
  /** How host names are resolved (tests give their own). @default systemResolve */
  resolve?: Resolve;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

export class OutboundClient {
  private readonly allow: HostRule[];
  private readonly privateHosts: HostRule[];
  private readonly slackBases: readonly string[];
  private readonly resolve: Resolve;

  constructor(policy: OutboundPolicy = {}, options: OutboundClientOptions = {}) {
    this.allow = (policy.allowHosts ?? []).map((h) => parseHostRule(h, { wildcard: true }));
    this.privateHosts = (policy.privateHosts ?? []).map((h) => parseHostRule(h));
    this.slackBases = policy.slackBases ?? [];
    this.resolve = options.resolve ?? systemResolve;
  }

  /**
   * The URL as it will be called, or an OutboundRefused for what is refused
   * before any connection: not http(s), credentials in it, a host outside
   * allowHosts, an address literal of a refused class.
   */
  admit(input: string | URL): URL {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new OutboundRefused('(none)', 'url', 'not a URL: only http(s) URLs are called');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused(url.host, 'url', `only http(s) URLs are called, not ${url.protocol}`);
    if (url.username || url.password) throw new OutboundRefused(url.host, 'url', `${url.host}: a URL carrying a user name or password is not called`);
    const slack = this.isSlackBase(url);
    if (this.allow.length > 0 && !slack && !isSlackHost(url) && !this.allow.some((r) => ruleMatches(r, url)) && !this.privateHosts.some((r) => ruleMatches(r, url))) {
      throw new OutboundRefused(url.host, 'host_not_allowed', `${url.host} is not in outbound.allowHosts`);
    }
    const literal = normalizeHostname(url.hostname);
    if (net.isIP(literal)) this.judge(url, literal, false);
    return url;
  }

  /**
   * What `admit` checks, and for a host name also the addresses it resolves
   * to now, without connecting: for refusing a URL where it is given (a
   * request's callback), long before it is called. The call itself checks
   * again, on the address it connects to.
   */
  async check(input: string | URL): Promise<URL> {
    const url = this.admit(input);
    const hostname = normalizeHostname(url.hostname);
    if (net.isIP(hostname)) return url;
    let found: Array<{ address: string }>;
    try {
      found = await this.resolve(hostname);
    } catch {
      // A name that does not resolve yet may resolve when it is called; the call checks it then.
      return url;
    }
    for (const a of found) this.judge(url, a.address, true);
    return url;
  }

  /** Makes the call; resolves with any answer but a redirect (a refusal), its body read up to `maxBytes`. */
  async request(input: string | URL, req: OutboundRequest = {}): Promise<OutboundResponse> {
    const url = this.admit(input);
    const host = url.host;
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
    const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const literal = net.isIP(normalizeHostname(url.hostname)) !== 0;
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    return new Promise<OutboundResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, value?: OutboundResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          request.destroy();
          reject(err);
        } else resolve(value!);
      };
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method: req.method ?? 'GET',
          headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          // A fresh connection per call: every call is resolved and checked itself.
          agent: false,
          // Address literals were judged by admit(); a name is resolved and judged here, and the socket connects to what was judged.
          ...(literal ? {} : { lookup: this.checkedLookup(url) }),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            res.resume();
            return finish(new OutboundRefused(host, 'redirect', `${host} answered a redirect (HTTP ${status}), which is not followed: give the final URL`));
          }
          const tooLarge = () => new OutboundRefused(host, 'too_large', `the answer from ${host} is over the limit of ${maxBytes} bytes`);
          if (Number(res.headers['content-length']) > maxBytes) return finish(tooLarge());
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) return finish(tooLarge());
            chunks.push(chunk);
          });
          res.on('end', () => finish(undefined, { status, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (err) => finish(unavailable(host, err)));
        },
      );
      const timer = setTimeout(() => finish(new OutboundUnavailable(host, `${host} did not answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('error', (err) => finish(err instanceof OutboundRefused || err instanceof OutboundUnavailable ? err : unavailable(host, err)));
      request.end(body);
    });
  }

  private isSlackBase(url: URL): boolean {
    return this.slackBases.some((base) => url.href.startsWith(base));
  }

  private mayBePrivate(url: URL): boolean {
    return this.isSlackBase(url) || this.privateHosts.some((r) => ruleMatches(r, url));
  }

  /** Throws the refusal for an address `url` may not reach. */
  private judge(url: URL, address: string, resolved: boolean): void {
    const kind = classifyAddress(address);
    if (kind === 'public') return;
    if (PRIVATE_CLASSES.has(kind) && this.mayBePrivate(url)) return;
    const what = `${url.host} ${resolved ? 'resolves to' : 'is'} ${kind === 'unspecified' ? 'an' : 'a'} ${kind} address`;
    const why = kind === 'cloud metadata' ? 'Signalroom never calls it' : PRIVATE_CLASSES.has(kind) ? 'Signalroom calls only public addresses, and private ones of the hosts named in outbound.privateHosts' : 'Signalroom calls only public addresses';
    throw new OutboundRefused(url.host, 'address', `${what}: ${why}`);
  }

  /** The socket's lookup: resolves once, judges every answer, and hands the socket exactly the answers judged. */
  private checkedLookup(url: URL): LookupFunction {
    const answer = async (hostname: string, family: number | undefined) => {
      let found: Array<{ address: string; family?: number }>;
      try {
        found = await this.resolve(hostname);
      } catch (err) {
        throw new OutboundUnavailable(url.host, `${url.host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      const addresses = found.map((a) => ({ address: a.address, family: net.isIP(a.address) }));
      for (const a of addresses) this.judge(url, a.address, true);
      const usable = addresses.filter((a) => a.family !== 0 && (!family || a.family === family));
      if (usable.length === 0) throw new OutboundUnavailable(url.host, `${url.host} does not resolve to an address`);
      return usable;
    };
    return (hostname, options, callback) => {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family as number | undefined) || undefined;
      answer(hostname, family).then(
        (usable) => (options.all ? callback(null, usable) : callback(null, usable[0].address, usable[0].family)),
        (err: Error) => (options.all ? callback(err as NodeJS.ErrnoException, []) : callback(err as NodeJS.ErrnoException, '', 0)),
      );
    };
  }
}

function unavailable(host: string, err: Error): OutboundUnavailable {
  return new OutboundUnavailable(host, `${host} could not be reached (${(err as NodeJS.ErrnoException).code ?? err.message})`);
}
