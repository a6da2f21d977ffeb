/**
 * What responders actually see in Slack, and what the timeline says, when a
 * runbook runs: the Message of a step with Blocks is shown (Slack shows only
 * the blocks when there are any), an Update Message without Blocks keeps the
 * blocks (as Slack documents for chat.update), the incident channel is a real
 * link, a Create Channel step whose invites fail is still done with its
 * outputs, and each timeline entry names its operation and target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadRunbookFile } from '../../../src/runbook/load';
import { openIncident } from '../../../src/incidents/client';
import { ConfigSchema } from '../../../src/config/schema';
import { IntegrationRegistry } from '../../../src/slack/integrations';
import { SIGNALROOM_BOT_SCOPES } from '../../../src/sandbox';
import { incidentResolveSignal, incidentStateQuery, incidentUpdateSignal } from '../../../workflows/messages';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { eventually, incidentSlack, messagesWith, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

let slack: IncidentSlack;
let client: Client;
let w: TestWorker | undefined;
// The runbook's graph (incident.graph) is fetched by the worker: a panel render on loopback, an internal host the configuration names.
let grafana: http.Server;
let graph: string;

beforeAll(async () => {
  grafana = http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from('png')));
  await new Promise<void>((r) => grafana.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(grafana.address() as AddressInfo).port}`;
  graph = `http://${host}/render/d-solo/checkout?panelId=2`;
  slack = await incidentSlack({ config: { outbound: { privateHosts: [host] } } });
  client = await testClient();
});
afterEach(async () => {
  await w?.close();
  w = undefined;
});
afterAll(async () => {
  await client?.connection.close();
  await slack?.close();
  await new Promise((r) => grafana?.close(r));
});

/** The text a person reads in each block: what Slack renders when a message has blocks. */
function blockTexts(blocks: unknown[] | undefined): string[] {
  return (blocks ?? []).map((b) => {
    const block = b as { type: string; text?: { text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text: string }> };
    if (block.type === 'divider') return '---';
    if (block.type === 'image') return `image: ${(b as { alt_text: string }).alt_text}`;
    if (block.type === 'context') return (block.elements ?? []).map((e) => e.text).join(' ');
    return [block.text?.text, ...(block.fields ?? []).map((f) => f.text)].filter(Boolean).join(' | ');
  });
}

test('runbooks/sev1-outage.yaml: the headline is shown, an update keeps the header, impact, fields and dashboard link, the announcement links the channel, the timeline reads like the runbook', async () => {
  const runbook = (await loadRunbookFile(path.join(__dirname, '../../../runbooks/sev1-outage.yaml'))).runbook!;
  const id = uniqueIncidentId();
  const { sandbox } = slack;
  w = await testWorker({ activityDeps: { integrations: slack.integrations } });
  await w.runUntil(async () => {
    const handle = await openIncident(
      client,
      runbook,
      { 'incident.id': id, 'incident.title': 'Checkout down', 'incident.severity': 'SEV1', 'incident.service': 'checkout', 'incident.description': 'All card payments fail', 'incident.dashboard': 'https://grafana.example.com/d/checkout', 'incident.graph': graph },
      w!.taskQueue,
    );
    const state = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const channel = sandbox.channel(state.incident.channelId!)!;
    const notify = sandbox.message(channel.id, (state.steps.notify as { ts: string }).ts)!;
    const opened = [
      `🚨 SEV1 incident detected in checkout`,
      'SEV1: Checkout down',
      '*Impact*: All card payments fail',
      '*Service*\ncheckout | *Severity*\nSEV1',
      'Dashboard: <https://grafana.example.com/d/checkout|checkout overview>',
      'image: checkout error rate, last hour',
    ];
    expect(blockTexts(notify.blocks)).toEqual(opened);
    expect(notify.text).toBe('🚨 SEV1 incident detected in checkout');

    // The announcement in #incidents links the channel the way Slack links one: <#C…>.
    const announced = messagesWith(sandbox, 'C0INCIDENTS', `SEV1 in checkout: Checkout down. Join`);
    expect(announced.map((m) => m.text)).toEqual([`SEV1 in checkout: Checkout down. Join <#${channel.id}>`]);

    // An update without Blocks changes the headline and keeps every other block.
    await handle.signal(incidentUpdateSignal, { text: 'Gateway restarted', author: 'U0ALICE' });
    const latest = 'Latest: Gateway restarted';
    await eventually('the notification to show the latest update', () => sandbox.message(channel.id, notify.ts)!.text.includes(latest));
    expect(blockTexts(sandbox.message(channel.id, notify.ts)!.blocks)).toEqual([`🚨 SEV1 incident in checkout. ${latest}`, ...opened.slice(1)]);

    // The timeline names each step's operation and target.
    // The message changes in Slack before the workflow hears back from the activity and notes the step.
    const now = await eventually('the update step in the timeline', async () => {
      const st = await handle.query(incidentStateQuery);
      return st.timeline.some((e) => e.text === `Update Message #${channel.name}: done`) && st;
    });
    const steps = now.timeline.filter((e) => e.kind === 'step').map((e) => e.text);
    expect(steps).toEqual(
      expect.arrayContaining([
        `Create Channel #${channel.name}: done`,
        `Send Message #${channel.name}: done`,
        `Pin Message #${channel.name}: done`,
        `Create Thread #${channel.name}: done`,
        'Send Message #incidents: done',
        `Update Message #${channel.name}: done`,
      ]),
    );
    expect(steps.join('\n')).not.toMatch(/open\/\d|update-\d+\//);
    await handle.terminate('test finished');
  });
});

test('the seed example: the 🚨 headline is the first thing people see, above the impact block', async () => {
  const runbook = (await loadRunbookFile(path.join(__dirname, '../../../runbooks/seed-example.yaml'))).runbook!;
  const id = uniqueIncidentId();
  const { sandbox } = slack;
  w = await testWorker({ activityDeps: { integrations: slack.integrations } });
  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'checkout', 'incident.description': 'Card payments failing' }, w!.taskQueue);
    const state = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const top = sandbox.messages(state.incident.channelId!).filter((m) => m.blocks?.length);
    expect(blockTexts(top[0]!.blocks)).toEqual(['🚨 SEV2 incident detected in checkout', '*Impact*: Card payments failing']);
    await handle.terminate('test finished');
  });
});

test('a Create Channel step whose invite lookup fails is done with its outputs; the invite problem is its own timeline entry', async () => {
  const { sandbox } = slack;
  // A bot that may not read user groups: resolving @oncall throws (missing_scope).
  const token = sandbox.createToken({ scopes: SIGNALROOM_BOT_SCOPES.filter((s) => s !== 'usergroups:read') });
  const integrations = new IntegrationRegistry(
    ConfigSchema.parse({ slack: { organization: { botToken: token, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl } } }),
    { timeoutMs: 3000 },
  );
  const runbook = runbookFrom(`
name: invite-lookup-fails
steps:
  - Operation: Create Channel
    Id: room
    Name: "incident-[incident.id]"
    AddUsers: ["@oncall"]
  - Operation: Send Message
    Channel: "[steps.room.channel]"
    Message: "Room [steps.room.name] is ready"
`);
  const id = uniqueIncidentId();
  w = await testWorker({ activityDeps: { integrations } });
  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, { 'incident.id': id }, w!.taskQueue);
    const state = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const channel = sandbox.channelByName(`incident-${id.toLowerCase()}`)!;
    expect(state.steps.room).toEqual({ channel: channel.id, name: channel.name, link: `<#${channel.id}>` });
    expect(messagesWith(sandbox, channel.id, `Room ${channel.name} is ready`)).toHaveLength(1);
    const timeline = state.timeline.map((e) => `${e.kind}: ${e.text}`);
    expect(timeline).toContain(`step: Create Channel #${channel.name}: done`);
    expect(timeline).toContainEqual(expect.stringMatching(/^error: Create Channel #\S+: could not invite @oncall \(missing_scope: usergroups\.list needs usergroups:read\)/));
    expect(timeline.join('\n')).not.toMatch(/Create Channel.*: failed/);
    await handle.signal(incidentResolveSignal, {});
    expect((await handle.result()).status).toBe('resolved');
  });
});
