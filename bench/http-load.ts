/**
 * Signed Slack clicks over loopback HTTP, and the load loops the bench drives
 * them with: one at a time, at a steady rate, or as fast as N connections go.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeSlackSignature } from '../src/server/slack-signature';
import { APPROVE_ACTION } from '../core/slack/blocks/approval-card';

let clickSeq = 0;

/** A block_actions payload as Slack sends it for the approval card's Approve button. */
export function approveClickPayload(options: { workflowId: string; user: string; responseUrl: string; channelId?: string }) {
  clickSeq += 1;
  return {
    type: 'block_actions',
    api_app_id: 'A0SIGNALRM',
    team: { id: 'T0SANDBOX', domain: 'sandbox' },
    user: { id: options.user, username: options.user.toLowerCase(), name: options.user.toLowerCase(), team_id: 'T0SANDBOX' },
    channel: { id: options.channelId ?? 'C0DEPLOYS', name: 'deploys' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: options.channelId ?? 'C0DEPLOYS' },
    trigger_id: `bench.${clickSeq}.trigger`,
    response_url: options.responseUrl,
    // Unique per click, so the server's retry de-duplication never short-cuts one.
    actions: [{ type: 'button', action_id: APPROVE_ACTION, block_id: 'signalroom-approval-actions', value: options.workflowId, action_ts: `${Date.now() / 1000}.${clickSeq}` }],
  };
}

export interface SignedBody {
  body: string;
  headers: Record<string, string>;
}

export function signedClick(secret: string, payload: unknown): SignedBody {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': ts,
      'x-slack-signature': computeSlackSignature(secret, ts, body),
    },
  };
}

/** Loopback POSTs on kept-alive connections. */
export class Poster {
  readonly agent: http.Agent;
  constructor(
    private readonly url: URL,
    maxSockets = 64,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  post(path: string, signed: SignedBody): Promise<number> {
    return this.send('POST', path, signed);
  }

  /** A GET on the same connections: a request with nothing to verify or deliver. */
  get(path: string): Promise<number> {
    return this.send('GET', path, { body: '', headers: {} });
  }

  private send(method: 'GET' | 'POST', path: string, signed: SignedBody): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, path, method, headers: signed.headers, agent: this.agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(signed.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export const nowMs = () => performance.now();

/**
 * Calls `fire(i)` at `perSecond` for `durationMs` (open loop: a slow answer does
 * not delay the next call), and returns each call's latency measured from when
 * it was due, so a stalled process shows up in the numbers.
 */
export async function steadyRate(perSecond: number, durationMs: number, fire: (i: number) => Promise<unknown>): Promise<{ latencies: number[]; errors: number; achieved: number }> {
  const interval = 1000 / perSecond;
  const total = Math.floor((durationMs / 1000) * perSecond);
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Array<Promise<void>> = [];
  const start = nowMs();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - nowMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      fire(i).then(
        () => void latencies.push(nowMs() - due),
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = nowMs() - start;
  return { latencies, errors, achieved: (total / elapsed) * 1000 };
}

/** As many calls as `connections` concurrent loops can make in `durationMs` (at most `maxRequests`). */
export async function closedLoop(connections: number, durationMs: number, fire: () => Promise<unknown>, maxRequests = Infinity): Promise<{ requests: number; perSecond: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const end = nowMs() + durationMs;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (nowMs() < end && sent++ < maxRequests) {
        const t = nowMs();
        try {
          await fire();
          latencies.push(nowMs() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = nowMs() - start;
  return { requests: latencies.length, perSecond: (latencies.length / elapsed) * 1000, latencies, errors };
}

/** A stand-in for Slack's response_url on loopback: answers 200 to anything. */
export async function responseUrlSink(): Promise<{ url: string; received: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/response`,
    received: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
