/**
 * A callback receiver on 127.0.0.1 for tests: records every request (method,
 * path, headers, raw body) and answers what the test scripts per path, in
 * turn (the last answer repeats).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  /** `127.0.0.1:<port>`, as `outbound.privateHosts` names it. */
  host: string;
  received: Received[];
  /** Answers for `path`, in turn: a status, or a status and body. */
  answer(path: string, ...answers: Array<number | { status: number; body?: string }>): void;
  close(): Promise<void>;
}

export async function callbackReceiver(handle?: (req: Received) => { status: number; body?: string } | undefined): Promise<Receiver> {
  const received: Received[] = [];
  const scripted = new Map<string, Array<{ status: number; body?: string }>>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(got);
      const queue = scripted.get(new URL(got.path, 'http://x').pathname);
      const answer = (queue && queue.length > 1 ? queue.shift() : queue?.[0]) ?? handle?.(got) ?? { status: 200, body: '{}' };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    received,
    answer(path, ...answers) {
      scripted.set(path, answers.map((a) => (typeof a === 'number' ? { status: a } : a)));
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
