/**
 * Attack: a token that may open incidents opens `sev1-outage` with
 * `incident.graph=http://127.0.0.1:<port>/admin.txt`; the worker fetches the
 * loopback URL and uploads what it answered into the incident channel as
 * `<id>-error-rate.png`. The same with the address spelled otherwise
 * (decimal, hex, IPv4-mapped IPv6, `localhost`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openIncident } from '../../../src/incidents/client';
import type { IncidentState } from '../../../core/incident/types';
import { incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { runbookFrom, uniqueIncidentId } from '../../support/incidents';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

const PAGER = 'pager-token-0123456789abcdef01';
const SECRET_BODY = 'internal admin page: db password hunter2';
let s: SecurityStack;
let internal: http.Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  internal = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(SECRET_BODY);
  });
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  port = (internal.address() as AddressInfo).port;
  s = await securityStack({ apiTokens: [{ name: 'pager', token: PAGER, permissions: ['runbooks:run', 'incidents:read'] }] });
});
beforeEach(() => {
  hits.length = 0;
});
afterAll(async () => {
  await s?.close();
  await new Promise((r) => internal?.close(r));
});

const filesIn = (channelId: string) => s.sandbox.messages(channelId).flatMap((m) => [m, ...s.sandbox.replies(channelId, m.ts)]).filter((m) => m.files?.length);

test('sev1-outage with incident.graph on loopback: nothing is fetched, nothing uploaded, the timeline names the host', async () => {
  const id = uniqueIncidentId('SSRF');
  const res = await s.api('POST', '/runbooks/sev1-outage/runs', PAGER, {
    inputs: {
      'incident.id': id,
      'incident.title': 'Checkout down',
      'incident.severity': 'SEV2',
      'incident.service': 'checkout',
      'incident.description': 'All card payments fail',
      'incident.dashboard': 'https://grafana.example.com/d/checkout',
      'incident.graph': `http://127.0.0.1:${port}/admin.txt`,
    },
  });
  expect(res.status).toBe(201);
  const state = await eventually('the incident to open', async () => {
    const got = await s.api('GET', `/incidents/${id}`, PAGER);
    const body = got.body as unknown as IncidentState;
    return got.status === 200 && body.status === 'open' && body;
  });
  expect(hits).toEqual([]);
  expect(filesIn(state.incident.channelId!)).toEqual([]);
  const errors = state.timeline.filter((e) => e.kind === 'error').map((e) => e.text);
  const upload = errors.filter((t) => t.startsWith('Upload File'));
  expect(upload).toEqual([expect.stringContaining(`127.0.0.1:${port}`)]);
  expect(upload[0]).toContain('loopback');
  expect(upload[0]).not.toContain('/admin.txt');
  expect(JSON.stringify(state)).not.toContain(SECRET_BODY);
  await s.client.workflow.getHandle(res.body.workflowId as string).terminate('test finished');
});

test('the same address spelled in decimal, hex, as IPv4-mapped IPv6 or as localhost is refused the same way', async () => {
  const spellings = [`http://2130706433:${port}/a`, `http://0x7f.1:${port}/b`, `http://0177.0.0.1:${port}/c`, `http://[::ffff:127.0.0.1]:${port}/d`, `http://[::ffff:7f00:1]:${port}/e`, `http://localhost:${port}/f`];
  const runbook = runbookFrom(`
name: spellings
inputs: [incident.id]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
${spellings.map((url, i) => `  - Operation: Upload File\n    Url: "${url}"\n    Filename: "f${i}.txt"\n`).join('')}`);
  const id = uniqueIncidentId('SPELL');
  const handle = await openIncident(s.client, runbook, { 'incident.id': id }, s.worker.taskQueue);
  const state = await eventually('the incident to open', async () => {
    const st = await handle.query(incidentStateQuery);
    return st.status === 'open' && st;
  });
  expect(hits).toEqual([]);
  expect(filesIn(state.incident.channelId!)).toEqual([]);
  const errors = state.timeline.filter((e) => e.kind === 'error').map((e) => e.text);
  expect(errors).toHaveLength(spellings.length);
  for (const text of errors) expect(text).toMatch(/^Upload File #incident-spell-[a-z0-9-]+: failed: .*(127\.0\.0\.1|\[::ffff:7f00:1\]|localhost):\d+.*loopback/);
  expect(errors.join('\n')).not.toContain(SECRET_BODY);
  await handle.signal(incidentResolveSignal, {});
  await handle.result();
});
