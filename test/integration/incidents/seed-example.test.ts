/**
 * The Slack integration guide's three blocks (runbooks/seed-example.yaml,
 * verbatim) opening a real incident on the dev server, checked the way a
 * responder would see it in Slack.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadRunbookFile } from '../../../src/runbook/load';
import { openIncident } from '../../../src/incidents/client';
import { incidentWorkflowId } from '../../../src/incidents/errors';
import { incidentResolveSignal, incidentStateQuery, incidentUpdateSignal } from '../../../workflows/messages';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { eventually, incidentSlack, messagesWith, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

let slack: IncidentSlack;
let client: Client;
let w: TestWorker;
// Grafana's panel render, on loopback: an internal host the configuration names.
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(512, 3)]);
let grafana: http.Server;
let graph: string;

beforeAll(async () => {
  grafana = http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(png));
  await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(grafana.address() as AddressInfo).port}`;
  graph = `http://${host}/render/d-solo/checkout?panelId=2`;
  slack = await incidentSlack({ config: { outbound: { privateHosts: [host] } } });
  client = await testClient();
});
beforeEach(async () => {
  w = await testWorker({ activityDeps: { integrations: slack.integrations } });
});
afterEach(() => w?.close());
afterAll(async () => {
  await client?.connection.close();
  await slack?.close();
  await new Promise((r) => grafana?.close(r));
});

test('the guide’s blocks create the channel, invite the teams, post the Block Kit notification and the updates thread', async () => {
  const loaded = await loadRunbookFile(path.join(__dirname, '../../../runbooks/seed-example.yaml'));
  expect(loaded.problems).toEqual([]);
  const runbook = loaded.runbook!;
  const id = uniqueIncidentId();
  const { sandbox } = slack;

  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'checkout', 'incident.description': 'Card payments failing for 30% of users' }, w.taskQueue);
    expect(handle.workflowId).toBe(incidentWorkflowId(id));

    const state = await eventually('the incident to be open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });

    // The channel, named from the template like Slack's UI would (lower-case).
    const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
    expect(channel).toBeDefined();
    expect(channel.purpose.value).toBe(`Channel for incident ${id}`);
    expect(state.incident.channel).toBe(channel.name);
    expect(state.incident.channelId).toBe(channel.id);

    // @oncall (alice, bob) and @sre-team (alice, bob, carol) were invited.
    for (const person of ['alice', 'bob', 'carol']) expect(channel.members.has(sandbox.user(person).id)).toBe(true);
    expect(sandbox.calls('conversations.invite').filter((c) => c.ok).length).toBeGreaterThan(0);

    // The notification with its Block Kit section, rendered.
    const top = sandbox.messages(channel.id).filter((m) => !m.threadTs || m.threadTs === m.ts);
    expect(top.map((m) => m.text)).toEqual([`🚨 SEV2 incident detected in checkout`, `Updates for incident ${id}`]);
    // Slack shows only the blocks of a message that has any: the Message heads them.
    expect(top[0].blocks).toMatchObject([
      { type: 'section', text: { type: 'mrkdwn', text: '🚨 SEV2 incident detected in checkout' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Impact*: Card payments failing for 30% of users' } },
    ]);
    expect(top[0].user).toBe(sandbox.botUserId);

    // The thread root, and the workflow knows it as the updates thread.
    const root = top[1];
    expect(state.threadTs).toBe(root.ts);
    expect(state.threadChannel).toBe(channel.id);

    // An update goes into that thread.
    await handle.signal(incidentUpdateSignal, { text: 'Rolled back the payment gateway config', author: 'U0ALICE' });
    const replies = await eventually('the update in the thread', () => {
      const r = sandbox.replies(channel.id, root.ts);
      return r.length > 0 && r;
    });
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toContain('Rolled back the payment gateway config');
    expect(replies[0].text).toContain('<@U0ALICE>');
    // Nothing leaked as a literal placeholder.
    for (const m of sandbox.messages(channel.id)) expect(m.text).not.toMatch(/\[(incident|steps)\./);

    await handle.terminate('test finished');
  });
});

test('runbooks/sev1-outage.yaml runs: channel, pinned notification with the graph, topic, bookmark, thread with the graph file, action item, announcement; on resolve the summary, postmortem canvas and retrospective', async () => {
  const runbook = (await loadRunbookFile(path.join(__dirname, '../../../runbooks/sev1-outage.yaml'))).runbook!;
  const id = uniqueIncidentId();
  const { sandbox } = slack;
  await w.runUntil(async () => {
    const handle = await openIncident(
      client,
      runbook,
      { 'incident.id': id, 'incident.title': 'Checkout down', 'incident.severity': 'SEV1', 'incident.service': 'checkout', 'incident.description': 'All card payments fail', 'incident.dashboard': 'https://grafana.example.com/d/checkout', 'incident.graph': graph },
      w.taskQueue,
    );
    const state = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const channel = sandbox.channel(state.incident.channelId!)!;
    const notify = state.steps.notify as { ts: string };
    expect(channel.pins.has(notify.ts)).toBe(true);
    expect(channel.topic.value).toBe('SEV1 checkout: Checkout down | updates in the thread');
    expect(channel.bookmarks.map((b) => b.link)).toEqual(['https://grafana.example.com/d/checkout']);
    expect(sandbox.message(channel.id, state.threadTs!)!.text).toBe(`Updates for incident ${id}`);
    expect(messagesWith(sandbox, 'C0INCIDENTS', `SEV1 in checkout: Checkout down. Join <#${channel.id}>`)).toHaveLength(1);
    // The graph: an image block in the notification, and the same render as a file in the thread.
    expect(sandbox.message(channel.id, notify.ts)!.blocks).toContainEqual(expect.objectContaining({ type: 'image', image_url: graph, alt_text: 'checkout error rate, last hour' }));
    const file = sandbox.replies(channel.id, state.threadTs!).find((m) => m.files?.length)!;
    expect(sandbox.file(file.files![0])!.content!.equals(png)).toBe(true);
    // The action item, with its Done button.
    expect(messagesWith(sandbox, channel.id, 'Action item #1 Post a status page update for checkout (owner @support-leads)')).toHaveLength(1);
    // The demo workspace has no @incident-commanders or @support-leads: said in the timeline (the item keeps its owner as written), the rest ran.
    expect(state.timeline.filter((e) => e.kind === 'error').map((e) => e.text)).toEqual([
      expect.stringContaining('@incident-commanders (no user or user group is named @incident-commanders)'),
      'Action item #1: Owner "@support-leads" matches no Slack user or user group; it is shown with the owner as written',
    ]);

    await handle.signal(incidentResolveSignal, { summary: 'Gateway restarted', resolvedBy: 'U0ALICE' });
    await eventually('the summary', () => messagesWith(sandbox, channel.id, `Incident ${id} resolved`).length === 1);
    await eventually('the notification marked resolved', () => sandbox.message(channel.id, notify.ts)!.text.startsWith(':white_check_mark: Resolved after'));
    await eventually('the retrospective scheduled', () => sandbox.scheduled('C0INCIDENTS').some((m) => m.text.includes(`Retrospective for incident ${id}`)));
    // The postmortem canvas lists both action items.
    const [canvas] = sandbox.canvases(channel.id);
    expect(canvas.title).toBe(`Postmortem: ${id} Checkout down`);
    expect(canvas.markdown).toContain('#2 Hold the retrospective for');
    expect(messagesWith(sandbox, channel.id, ':memo: Postmortem: <')).toHaveLength(1);
    // Archiving waits a day: the channel stays open meanwhile.
    expect(sandbox.channel(channel.id)!.archived).toBe(false);
    await handle.terminate('test finished');
  });
});
