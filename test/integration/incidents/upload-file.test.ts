/**
 * Share metrics and graphs: a dashboard graph as an image block in the
 * notification, a panel render uploaded from a URL (a loopback server the
 * test starts stands in for Grafana) and a text excerpt uploaded into the
 * updates thread. What responders see in the sandbox: the image block, the
 * files with their titles and bytes, each exactly once even when Slack's
 * answer to the share is lost. A fetch over the size limit or a redirect is
 * refused with a reason in the timeline, and nothing is shared.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { openIncident } from '../../../src/incidents/client';
import { incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { SANDBOX_PAGE_HEADER } from '../../../src/sandbox/page/routes';
import { eventually, incidentSlack, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

const PANEL = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 7)]);
const LIMIT = 64 * 1024;

let slack: IncidentSlack;
let client: Client;
let w: TestWorker;
let grafana: http.Server;
let base: string;
const served: string[] = [];

beforeAll(async () => {
  grafana = http.createServer((req, res) => {
    served.push(req.url ?? '');
    if (req.url === '/render/d-solo/checkout?panelId=2') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PANEL);
    if (req.url === '/render/huge') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(LIMIT + 1, 1));
    if (req.url === '/render/moved') return void res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(grafana.address() as AddressInfo).port}`;
  // Grafana on loopback is an internal host: the configuration names it, as a user's would.
  slack = await incidentSlack({ config: { outbound: { privateHosts: [new URL(base).host] } } });
  client = await testClient();
});
// A worker runs once: each test gets its own.
beforeEach(async () => {
  w = await testWorker({ activityDeps: { integrations: slack.integrations, maxUploadBytes: LIMIT } });
});
afterEach(() => w?.close());
afterAll(async () => {
  await client?.connection.close();
  await slack?.close();
  await new Promise((r) => grafana?.close(r));
});

test('an image block, a panel render from a URL and a text excerpt in the thread: shown once each, even when a share answer is lost', async () => {
  const runbook = runbookFrom(`
name: graphs
inputs: [incident.id, incident.dashboard]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
  - Operation: Send Message
    Id: notify
    Message: "Incident [incident.id]"
    Blocks:
      - Type: section
        Text: "Error rate is up"
      - Type: image
        ImageUrl: "[incident.dashboard]/render/d-solo/checkout?panelId=2&width=800"
        AltText: "Checkout error rate, last hour"
        Title: "Checkout errors"
  - Operation: Create Thread
    Id: thread
    Message: "Updates"
    ThreadUpdates: true
  - Operation: Upload File
    Id: graph
    Url: "[incident.dashboard]/render/d-solo/checkout?panelId=2"
    Filename: "checkout-errors.png"
    Title: "Checkout errors (panel 2)"
  - Operation: Upload File
    Thread: "[steps.thread.ts]"
    Content: "gateway timeout after 30s (incident [incident.id])"
    Filename: "gateway.log"
`);
  // Slack applies the share but its answer never arrives: the retry must find the message, not share again.
  slack.sandbox.faults.inject('files.completeUploadExternal', { kind: 'drop_response', count: 1 });
  const id = uniqueIncidentId('GRAPH');
  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.dashboard': base }, w.taskQueue);
    const opened = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const channelId = opened.incident.channelId!;
    const { sandbox } = slack;

    // The notification shows the graph as an image block, URL as rendered (not escaped), alt text and title.
    const notify = sandbox.message(channelId, (opened.steps.notify as { ts: string }).ts)!;
    expect(notify.blocks).toContainEqual(expect.objectContaining({
      type: 'image',
      image_url: `${base}/render/d-solo/checkout?panelId=2&width=800`,
      alt_text: 'Checkout error rate, last hour',
      title: { type: 'plain_text', text: 'Checkout errors' },
    }));

    // The panel render, once, in the channel, with its title and the very bytes the dashboard served.
    const withFiles = sandbox.messages(channelId).filter((m) => m.files?.length);
    expect(withFiles).toHaveLength(2);
    const [top, inThread] = [withFiles.find((m) => !m.threadTs)!, withFiles.find((m) => m.threadTs)!];
    const graph = sandbox.file(top.files![0])!;
    expect(graph).toMatchObject({ name: 'checkout-errors.png', title: 'Checkout errors (panel 2)' });
    expect(graph.content!.equals(PANEL)).toBe(true);
    expect((opened.steps.graph as { fileId: string }).fileId).toBe(graph.id);
    // The excerpt, in the updates thread.
    expect(inThread.threadTs).toBe(opened.threadTs);
    const log = sandbox.file(inThread.files![0])!;
    expect(log.content!.toString('utf8')).toBe(`gateway timeout after 30s (incident ${id})`);
    expect(log.title).toBe('gateway.log');
    expect(opened.timeline.filter((e) => e.kind === 'error')).toEqual([]);
    // The sandbox page lists the file under its message, with title, name and size.
    const page = (await (await fetch(`${sandbox.url}/_sandbox/state?user=U0ALICE`, { headers: { [SANDBOX_PAGE_HEADER]: '1' } })).json()) as { channels: Array<{ id: string; messages: Array<{ files: unknown[] }> }> };
    expect(page.channels.find((c) => c.id === channelId)!.messages.flatMap((m) => m.files)).toContainEqual({ id: graph.id, name: 'checkout-errors.png', title: 'Checkout errors (panel 2)', size: PANEL.length });

    await handle.signal(incidentResolveSignal, { summary: 'ok' });
    await handle.result();
  });
});

test('a render over the size limit, or one that redirects, is refused with the reason; nothing is shared', async () => {
  const runbook = runbookFrom(`
name: bad-graphs
inputs: [incident.id, incident.dashboard]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
  - Operation: Upload File
    Url: "[incident.dashboard]/render/huge"
    Filename: "huge.png"
  - Operation: Upload File
    Url: "[incident.dashboard]/render/moved"
    Filename: "moved.png"
`);
  const id = uniqueIncidentId('BIG');
  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.dashboard': base }, w.taskQueue);
    const opened = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const errors = opened.timeline.filter((e) => e.kind === 'error').map((e) => e.text);
    const host = new URL(base).host.replace(/\./g, '\\.');
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^Upload File #incident-big-[a-z0-9]+: failed: the file at ${host} is over the limit of 65536 bytes$`)),
      expect.stringMatching(new RegExp(`^Upload File #incident-big-[a-z0-9]+: failed: ${host} answered a redirect \\(HTTP 302\\), which is not followed: give the final URL$`)),
    ]);
    expect(slack.sandbox.messages(opened.incident.channelId!).filter((m) => m.files?.length)).toEqual([]);
    // The redirect was not followed.
    expect(served.filter((u) => u.includes('elsewhere'))).toEqual([]);
    await handle.signal(incidentResolveSignal, {});
    await handle.result();
  });
});
