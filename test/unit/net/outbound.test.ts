/**
 * The outbound client (src/net/outbound.ts): every address class it refuses,
 * the spellings of an address that are the same address, DNS rebinding, the
 * configured exceptions, and the bounds (no redirects, size, time). The
 * server these calls would reach is a loopback server that records every
 * request, so "refused" means it was never reached.
 */
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { classifyAddress, OutboundClient, OutboundRefused, OutboundUnavailable, type AddressClass, type Resolve } from '../../../src/net/outbound';
import { ConfigSchema } from '../../../src/config/schema';

let server: http.Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (req.url === '/moved') return void res.writeHead(302, { location: `http://127.0.0.1:${port}/after-redirect` }).end();
    if (req.url === '/big') return void res.writeHead(200, { 'content-length': '2048' }).end(Buffer.alloc(2048, 1));
    if (req.url === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 4; i++) res.write(Buffer.alloc(512, 1));
      return void res.end();
    }
    if (req.url === '/never') return; // never answers
    res.writeHead(200, { 'content-type': 'text/plain' }).end('internal');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
beforeEach(() => {
  hits.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A resolver that answers each name from a table (and counts its calls). */
function resolver(table: Record<string, string[] | string[][]>): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const fn = (async (hostname: string) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (!entry) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    // A list of lists answers the n-th call with the n-th list (the last one after that).
    const answers = Array.isArray(entry[0]) ? (entry as string[][])[Math.min(calls.filter((c) => c === hostname).length - 1, entry.length - 1)] : (entry as string[]);
    return answers.map((address) => ({ address }));
  }) as Resolve & { calls: string[] };
  fn.calls = calls;
  return fn;
}

async function refusal(p: Promise<unknown>): Promise<OutboundRefused> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof OutboundRefused)) throw new Error(`expected a refusal, got ${err === undefined ? 'an answer' : String(err)}`);
  return err;
}

describe('address classes', () => {
  const cases: Array<[AddressClass, string[]]> = [
    ['loopback', ['127.0.0.1', '127.255.255.254', '::1']],
    ['private', ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.1']],
    ['link-local', ['169.254.1.1', '169.254.0.1', 'fe80::1', 'febf::1']],
    ['unique-local', ['fc00::1', 'fd12:3456::1', 'fdff::1']],
    ['carrier-grade NAT', ['100.64.0.1', '100.127.255.254']],
    ['cloud metadata', ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', 'fd00:ec2:0:0::254', '100.100.100.200', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe']],
    ['unspecified', ['0.0.0.0', '0.1.2.3', '::']],
    ['broadcast', ['255.255.255.255']],
    ['multicast', ['224.0.0.1', '239.255.255.250', 'ff02::1']],
    // Test nets, benchmarking, 240/4, and IPv6 prefixes that embed IPv4 (NAT64, 6to4, Teredo).
    ['reserved', ['192.0.2.1', '198.18.0.1', '198.51.100.1', '203.0.113.1', '240.0.0.1', '192.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::', '2001::1', 'not-an-address']],
    ['public', ['8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1']],
  ];
  test.each(cases)('%s', (kind, addresses) => {
    for (const address of addresses) expect([address, classifyAddress(address)]).toEqual([address, kind]);
  });

  test('IPv4-mapped IPv6 counts as the IPv4 address it maps', () => {
    expect(classifyAddress('::ffff:127.0.0.1')).toBe('loopback');
    expect(classifyAddress('::ffff:7f00:1')).toBe('loopback');
    expect(classifyAddress('::ffff:10.0.0.1')).toBe('private');
    expect(classifyAddress('::ffff:100.64.0.1')).toBe('carrier-grade NAT');
    expect(classifyAddress('::ffff:8.8.8.8')).toBe('public');
  });
});

describe('refused before any connection', () => {
  const client = new OutboundClient();
  const literals: Array<[string, string, string]> = [
    ['loopback', 'http://127.0.0.1:PORT/x', '127.0.0.1:PORT is a loopback address'],
    ['loopback, IPv6', 'http://[::1]:PORT/x', '[::1]:PORT is a loopback address'],
    ['decimal', 'http://2130706433:PORT/x', '127.0.0.1:PORT is a loopback address'],
    ['octal', 'http://0177.0.0.1:PORT/x', '127.0.0.1:PORT is a loopback address'],
    ['hex, two parts', 'http://0x7f.1:PORT/x', '127.0.0.1:PORT is a loopback address'],
    ['short form', 'http://127.1:PORT/x', '127.0.0.1:PORT is a loopback address'],
    ['IPv4-mapped IPv6, dotted', 'http://[::ffff:127.0.0.1]:PORT/x', '[::ffff:7f00:1]:PORT is a loopback address'],
    ['IPv4-mapped IPv6, hex', 'http://[::ffff:7f00:1]:PORT/x', '[::ffff:7f00:1]:PORT is a loopback address'],
    ['private', 'http://10.1.2.3:PORT/x', '10.1.2.3:PORT is a private address'],
    ['private, decimal', 'http://3232235777:PORT/x', '192.168.1.1:PORT is a private address'],
    ['link-local', 'http://169.254.10.10:PORT/x', '169.254.10.10:PORT is a link-local address'],
    ['link-local, IPv6', 'http://[fe80::1]:PORT/x', '[fe80::1]:PORT is a link-local address'],
    ['unique-local', 'http://[fd00::1]:PORT/x', '[fd00::1]:PORT is a unique-local address'],
    ['CGNAT', 'http://100.64.1.1:PORT/x', '100.64.1.1:PORT is a carrier-grade NAT address'],
    ['unspecified', 'http://0.0.0.0:PORT/x', '0.0.0.0:PORT is an unspecified address'],
    ['unspecified, as 0', 'http://0:PORT/x', '0.0.0.0:PORT is an unspecified address'],
    ['broadcast', 'http://255.255.255.255:PORT/x', '255.255.255.255:PORT is a broadcast address'],
    ['reserved', 'http://240.0.0.1:PORT/x', '240.0.0.1:PORT is a reserved address'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud metadata address: Signalroom never calls it'],
    ['cloud metadata, IPv6', 'http://[fd00:ec2::254]/latest/meta-data/', '[fd00:ec2::254] is a cloud metadata address: Signalroom never calls it'],
    ['cloud metadata, mapped', 'http://[::ffff:169.254.169.254]/', '[::ffff:a9fe:a9fe] is a cloud metadata address'],
  ];
  test.each(literals)('%s', async (_what, url, message) => {
    const err = await refusal(client.request(url.replace('PORT', String(port))));
    expect(err.reason).toBe('address');
    expect(err.message).toContain(message.replace('PORT', String(port)));
    expect(err.message).not.toContain('/x');
    expect(hits).toEqual([]);
  });

  test('only http(s), without credentials', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://example.com/x', 'gopher://127.0.0.1:70/', 'not a url']) expect((await refusal(client.request(url))).reason).toBe('url');
    const creds = await refusal(client.request('https://user:secret@example.com/x'));
    expect(creds.message).toBe('example.com: a URL carrying a user name or password is not called');
  });
});

describe('names are judged by the address they resolve to', () => {
  const classes: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.20.0.2', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.3.4', 'link-local'],
    ['fe80::abcd', 'link-local'],
    ['fd12::5', 'unique-local'],
    ['100.100.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.1.1.1', 'reserved'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
  ];
  test.each(classes)('a name resolving to %s (%s) is refused, and nothing is connected', async (address, kind) => {
    const resolve = resolver({ 'dash.example.com': [address] });
    const err = await refusal(new OutboundClient({}, { resolve }).request(`http://dash.example.com:${port}/panel`));
    expect(err.message).toMatch(new RegExp(`^dash\\.example\\.com:${port} resolves to an? ${kind} address`));
    expect(hits).toEqual([]);
  });

  test('one private answer among public ones is enough to refuse', async () => {
    const resolve = resolver({ 'mixed.example.com': ['93.184.216.34', '127.0.0.1'] });
    expect((await refusal(new OutboundClient({}, { resolve }).request(`http://mixed.example.com:${port}/`))).message).toContain('resolves to a loopback address');
    expect(hits).toEqual([]);
  });

  test('localhost, through the system resolver', async () => {
    const err = await refusal(new OutboundClient().request(`http://localhost:${port}/admin`));
    expect(err.message).toMatch(new RegExp(`^localhost:${port} resolves to a loopback address`));
    expect(hits).toEqual([]);
  });

  test('metadata.google.internal resolves to the metadata address: refused even when named a private host', async () => {
    const resolve = resolver({ 'metadata.google.internal': ['169.254.169.254'] });
    const client = new OutboundClient({ privateHosts: ['metadata.google.internal'] }, { resolve });
    expect((await refusal(client.request('http://metadata.google.internal/computeMetadata/v1/'))).message).toBe('metadata.google.internal resolves to a cloud metadata address: Signalroom never calls it');
  });
});

describe('DNS rebinding: the address judged is the address connected to', () => {
  /** The addresses sockets were about to connect to, from Node's own `lookup` event; each such socket is stopped before it connects. */
  function watchConnections(stop: boolean): { addresses: string[]; done(): void } {
    const addresses: string[] = [];
    const onSocket = (message: unknown) => {
      const { socket } = message as { socket: Socket };
      socket.on('lookup', (err: Error | null, address: string) => {
        if (!err) addresses.push(address);
        if (stop) socket.destroy();
      });
    };
    dc.subscribe('net.client.socket', onSocket);
    return { addresses, done: () => dc.unsubscribe('net.client.socket', onSocket) };
  }

  test('a name answering public first, then loopback, never leads to a loopback connection', async () => {
    const resolve = resolver({ 'rebind.example.com': [['93.184.216.34'], ['127.0.0.1']] });
    const watch = watchConnections(true);
    try {
      // Stopped before connecting to the public address: tests reach nothing but loopback.
      await expect(new OutboundClient({}, { resolve }).request(`http://rebind.example.com:${port}/admin`)).rejects.toBeInstanceOf(OutboundUnavailable);
    } finally {
      watch.done();
    }
    expect(resolve.calls).toEqual(['rebind.example.com']);
    expect(watch.addresses).toEqual(['93.184.216.34']);
    expect(hits).toEqual([]);
  });

  test('a private host answering loopback first, then the metadata address, is connected to on loopback', async () => {
    const resolve = resolver({ 'grafana.internal': [['127.0.0.1'], ['169.254.169.254']] });
    const watch = watchConnections(false);
    try {
      const res = await new OutboundClient({ privateHosts: [`grafana.internal:${port}`] }, { resolve }).request(`http://grafana.internal:${port}/render`);
      expect(res.status).toBe(200);
    } finally {
      watch.done();
    }
    expect(resolve.calls).toEqual(['grafana.internal']);
    expect(watch.addresses).toEqual(['127.0.0.1']);
    expect(hits).toEqual(['GET /render']);
  });

  test('each call resolves again: a name that turns private is refused on the next call', async () => {
    const resolve = resolver({ 'flip.example.com': [['127.0.0.1'], ['127.0.0.1']] });
    const client = new OutboundClient({}, { resolve });
    await refusal(client.request(`http://flip.example.com:${port}/a`));
    await refusal(client.request(`http://flip.example.com:${port}/b`));
    expect(resolve.calls).toEqual(['flip.example.com', 'flip.example.com']);
    expect(hits).toEqual([]);
  });
});

describe('configured exceptions', () => {
  test('outbound.privateHosts: the named host (and port) may be private; any other is not', async () => {
    const resolve = resolver({ 'grafana.internal': ['127.0.0.1'], 'other.internal': ['127.0.0.1'] });
    const client = new OutboundClient({ privateHosts: [`grafana.internal:${port}`] }, { resolve });
    expect((await client.request(`http://grafana.internal:${port}/d/1`)).body.toString()).toBe('internal');
    expect((await refusal(client.request(`http://other.internal:${port}/d/1`))).message).toContain('resolves to a loopback address');
    // The same host on another port is not the host named.
    const other = new OutboundClient({ privateHosts: ['grafana.internal:1'] }, { resolve });
    await refusal(other.request(`http://grafana.internal:${port}/d/2`));
    expect(hits).toEqual(['GET /d/1']);
  });

  test('outbound.privateHosts never opens link-local or metadata addresses', async () => {
    const resolve = resolver({ 'weird.internal': ['169.254.8.8'] });
    const client = new OutboundClient({ privateHosts: ['weird.internal', '169.254.169.254'] }, { resolve });
    expect((await refusal(client.request('http://weird.internal/'))).message).toContain('link-local');
    expect((await refusal(client.request('http://169.254.169.254/'))).message).toContain('never calls it');
  });

  test("the configured Slack's own origin (the sandbox on loopback) is reachable; the next port is not", async () => {
    const client = new OutboundClient({ slackBases: [`http://127.0.0.1:${port}/`] });
    expect((await client.request(`http://127.0.0.1:${port}/actions/T1/2/3`, { method: 'POST', body: '{}' })).status).toBe(200);
    await refusal(client.request(`http://127.0.0.1:${port + 1}/actions/T1/2/3`));
    expect(hits).toEqual(['POST /actions/T1/2/3']);
  });

  test('outbound.allowHosts: only those (and Slack), before anything is resolved', async () => {
    const resolve = resolver({ 'grafana.example.com': ['93.184.216.34'] });
    const client = new OutboundClient({ allowHosts: ['grafana.example.com', '*.grafana.net'] }, { resolve });
    const err = await refusal(client.request('https://elsewhere.example.org/x'));
    expect(err).toMatchObject({ reason: 'host_not_allowed', message: 'elsewhere.example.org is not in outbound.allowHosts' });
    expect(resolve.calls).toEqual([]);
    expect(client.admit('https://grafana.example.com/d/1').host).toBe('grafana.example.com');
    expect(client.admit('https://team.grafana.net/d/1').host).toBe('team.grafana.net');
    expect(() => client.admit('https://grafana.net.evil.example/')).toThrow('is not in outbound.allowHosts');
    expect(client.admit('https://hooks.slack.com/services/T/B/x').host).toBe('hooks.slack.com');
    expect(client.admit('https://files.slack.com/upload/v1/abc').host).toBe('files.slack.com');
  });

  test('the configuration checks its host entries', () => {
    expect(ConfigSchema.parse({ outbound: { allowHosts: ['*.grafana.net', 'status.example.com:8443'], privateHosts: ['grafana.internal:3000', '[fd00::5]:80'] } }).outbound).toEqual({
      allowHosts: ['*.grafana.net', 'status.example.com:8443'],
      privateHosts: ['grafana.internal:3000', '[fd00::5]:80'],
    });
    expect(ConfigSchema.parse({}).outbound).toEqual({ allowHosts: [], privateHosts: [] });
    for (const bad of [{ privateHosts: ['*.internal'] }, { privateHosts: ['http://grafana.internal'] }, { allowHosts: ['grafana.example.com/d'] }, { allowHosts: ['host:99999'] }, { nope: [] }]) {
      expect(ConfigSchema.safeParse({ outbound: bad }).success).toBe(false);
    }
  });
});

describe('bounds', () => {
  const client = new OutboundClient({ slackBases: [`http://127.0.0.1:`] });

  test('a redirect is a refusal naming the host; it is not followed', async () => {
    const err = await refusal(client.request(`http://127.0.0.1:${port}/moved`));
    expect(err).toMatchObject({ reason: 'redirect', host: `127.0.0.1:${port}`, message: `127.0.0.1:${port} answered a redirect (HTTP 302), which is not followed: give the final URL` });
    expect(hits).toEqual(['GET /moved']);
  });

  test('an answer over the size limit is refused, declared or not', async () => {
    expect(await refusal(client.request(`http://127.0.0.1:${port}/big`, { maxBytes: 1024 }))).toMatchObject({ reason: 'too_large', message: `the answer from 127.0.0.1:${port} is over the limit of 1024 bytes` });
    expect(await refusal(client.request(`http://127.0.0.1:${port}/big-chunked`, { maxBytes: 1024 }))).toMatchObject({ reason: 'too_large' });
    expect((await client.request(`http://127.0.0.1:${port}/big`, { maxBytes: 2048 })).body.length).toBe(2048);
  });

  test('a host that does not answer in time is unavailable (worth a retry), naming the host', async () => {
    const started = Date.now();
    const err = await client.request(`http://127.0.0.1:${port}/never`, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundUnavailable);
    expect((err as Error).message).toBe(`127.0.0.1:${port} did not answer within 300 ms`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('a name that does not resolve is unavailable, naming the host', async () => {
    const err = await new OutboundClient({}, { resolve: resolver({}) }).request('http://nowhere.example.com/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundUnavailable);
    expect((err as Error).message).toBe('nowhere.example.com does not resolve (ENOTFOUND)');
  });
});
