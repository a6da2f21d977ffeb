/**
 * One incident from open to archive on the dev server: updates in the
 * thread, a severity change that is announced and brings the SEV1 reminder
 * cadence, a missed-update reminder, and the post-incident steps (summary,
 * retrospective scheduled, channel archived after the configured wait).
 * Also: a second trigger for the same incident joins the running one.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadRunbookFile } from '../../../src/runbook/load';
import type { Runbook } from '../../../core/runbook/types';
import { openIncident } from '../../../src/incidents/client';
import { IncidentClosedError, IncidentConflict } from '../../../src/incidents/errors';
import { incidentResolveSignal, incidentSeveritySignal, incidentStateQuery, incidentUpdateSignal } from '../../../workflows/messages';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { eventually, incidentSlack, messagesWith, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

let slack: IncidentSlack;
let client: Client;
let w: TestWorker;
let runbook: Runbook;

// A worker runs once: each test gets its own, on its own task queue.
beforeEach(async () => {
  w = await testWorker({ activityDeps: { integrations: slack.integrations } });
});
afterEach(() => w?.close());

beforeAll(async () => {
  slack = await incidentSlack();
  client = await testClient();
  runbook = (await loadRunbookFile(path.join(__dirname, '../../fixtures/runbooks/incidents/lifecycle.yaml'))).runbook!;
});
afterAll(async () => {
  await client?.connection.close();
  await slack?.close();
});

const values = (id: string, severity = 'SEV2') => ({
  'incident.id': id,
  'incident.title': 'Checkout errors',
  'incident.severity': severity,
  'incident.service': 'checkout',
  'incident.description': 'Card payments failing',
});

test('open, two updates, a severity change, a reminder, resolve: what responders see and the timeline', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId();
  await w.runUntil(async () => {
    const handle = await openIncident(client, runbook, values(id), w.taskQueue, 'U0ERIN');
    const opened = await eventually('the incident to open', async () => {
      const s = await handle.query(incidentStateQuery);
      return s.status === 'open' && s;
    });
    const channelId = opened.incident.channelId!;
    const threadTs = opened.threadTs!;
    const notify = opened.steps.notify as { ts: string };
    expect(sandbox.channel(channelId)!.pins.has(notify.ts)).toBe(true);

    // Two updates, in order, in the thread; the pinned notification follows them.
    await handle.signal(incidentUpdateSignal, { text: 'Investigating the payment gateway', author: 'U0ALICE' });
    await handle.signal(incidentUpdateSignal, { text: 'Rolled back config change 1234', author: 'U0BOB' });
    await eventually('both updates in the thread', () => sandbox.replies(channelId, threadTs).length >= 2);
    await eventually('the notification to show the latest update', () => sandbox.message(channelId, notify.ts)!.text.includes('Latest: Rolled back config change 1234'));
    const updates = sandbox.replies(channelId, threadTs).map((m) => m.text);
    expect(updates[0]).toMatch(/Update 1.*<@U0ALICE>.*Investigating the payment gateway/);
    expect(updates[1]).toMatch(/Update 2.*<@U0BOB>.*Rolled back config change 1234/);
    // SEV2 reminds after an hour: nothing so far.
    expect(messagesWith(sandbox, channelId, 'No update on')).toHaveLength(0);

    // SEV1: announced in the thread, and the reminder now comes after 2 s of silence.
    await handle.signal(incidentSeveritySignal, { severity: 'SEV1', by: 'U0CAROL' });
    await eventually('the severity change in the thread', () => messagesWith(sandbox, channelId, 'Severity changed from *SEV2* to *SEV1*').length === 1);
    const reminder = await eventually('a missed-update reminder', () => messagesWith(sandbox, channelId, `No update on ${id} for`)[0]);
    expect(reminder.threadTs).toBe(threadTs);
    expect(reminder.text).toMatch(/for \d+s$/);

    await handle.signal(incidentResolveSignal, { summary: 'Config rollback fixed it', resolvedBy: 'U0CAROL' });
    const result = await handle.result();

    // The summary: duration, severity changes, updates, who resolved.
    const summary = messagesWith(sandbox, channelId, `Incident ${id} resolved`);
    expect(summary).toHaveLength(1);
    const summaryText = JSON.stringify(summary[0].blocks);
    expect(summaryText).toMatch(/resolved after \d+s by <@U0CAROL>/);
    expect(summaryText).toContain('SEV2 → SEV1');
    expect(summaryText).toContain('Updates: 2');
    expect(summaryText).toContain('Summary: Config rollback fixed it');
    // The retrospective is scheduled in #incidents; the channel was archived after the wait.
    const retro = sandbox.scheduled('C0INCIDENTS').filter((s) => s.text.includes(`Retrospective for incident ${id} is due`));
    expect(retro).toHaveLength(1);
    expect(retro[0].text).toContain(`#incident-${id.toLowerCase()}`);
    expect(sandbox.channel(channelId)!.archived).toBe(true);
    expect(sandbox.calls('conversations.archive').filter((c) => c.ok && c.args.channel === channelId)).toHaveLength(1);

    // The state and its timeline tell the same story.
    expect(result.status).toBe('resolved');
    expect(result.resolvedBy).toBe('U0CAROL');
    expect(result.updates).toBe(2);
    expect(result.reminders).toBeGreaterThanOrEqual(1);
    expect(result.severityChanges).toEqual([expect.objectContaining({ from: 'SEV2', to: 'SEV1', by: 'U0CAROL' })]);
    expect(result.incident.severity).toBe('SEV1');
    const kinds = result.timeline.map((e) => e.kind);
    expect(kinds[0]).toBe('opened');
    expect(kinds.filter((k) => k === 'update')).toHaveLength(2);
    expect(kinds.indexOf('severity')).toBeGreaterThan(kinds.lastIndexOf('update'));
    expect(kinds.indexOf('reminder')).toBeGreaterThan(kinds.indexOf('severity'));
    expect(kinds.indexOf('resolved')).toBeGreaterThan(kinds.indexOf('reminder'));
    expect(kinds).not.toContain('error');
    expect(result.timeline.filter((e) => e.kind === 'update').map((e) => [e.text, e.by])).toEqual([
      ['Investigating the payment gateway', 'U0ALICE'],
      ['Rolled back config change 1234', 'U0BOB'],
    ]);
    // Every message is posted once.
    const texts = sandbox.messages(channelId).map((m) => m.text);
    expect(new Set(texts.filter((t) => !t.includes('No update on'))).size).toBe(texts.filter((t) => !t.includes('No update on')).length);
  });
});

test('a second trigger for the same incident joins the running one: one workflow, one channel', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId();
  await w.runUntil(async () => {
    const first = await openIncident(client, runbook, values(id), w.taskQueue);
    const second = await openIncident(client, runbook, values(id), w.taskQueue);
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    // The same id asking for something else is not joined (SECURITY.md, "An incident cannot be squatted").
    await expect(openIncident(client, runbook, { ...values(id), 'incident.title': 'Checkout errors (again)' }, w.taskQueue)).rejects.toThrow(IncidentConflict);
    await eventually('the incident to open', async () => (await first.query(incidentStateQuery)).status === 'open');
    // A third one after it opened, too.
    const third = await openIncident(client, runbook, values(id), w.taskQueue);
    expect(third.firstExecutionRunId).toBe(first.firstExecutionRunId);
    const name = `incident-${id.toLowerCase()}`;
    expect(sandbox.calls('conversations.create').filter((c) => c.args.name === name)).toHaveLength(1);
    const channelId = sandbox.channelByName(name)!.id;
    expect(messagesWith(sandbox, channelId, '🚨 SEV2 incident in checkout')).toHaveLength(1);
    await first.terminate('test finished');
  });
});

test('a resolved incident is not reopened under the same id', async () => {
  const id = uniqueIncidentId();
  const quick = runbookFrom(`name: quick\nsteps:\n  - Operation: Send Message\n    Channel: "#incidents"\n    Message: "[incident.id] opened"\n`);
  await w.runUntil(async () => {
    const handle = await openIncident(client, quick, { 'incident.id': id }, w.taskQueue);
    await handle.signal(incidentResolveSignal, { resolvedBy: 'U0ALICE' });
    expect((await handle.result()).status).toBe('resolved');
    await expect(openIncident(client, quick, { 'incident.id': id }, w.taskQueue)).rejects.toThrow(IncidentClosedError);
    expect(messagesWith(slack.sandbox, 'C0INCIDENTS', `${id} opened`)).toHaveLength(1);
  });
});

test('a step Slack refuses is recorded in the timeline; the incident still takes updates and resolves', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId();
  const flawed = runbookFrom(`
name: flawed
steps:
  - Operation: Send Message
    Channel: "#no-such-channel"
    Message: "[incident.id] opened"
  - Operation: Send Message
    Channel: "#incidents"
    Message: "[incident.id] in [incident.service]"
  - Operation: Send Message
    Channel: "#incidents"
    Message: "[incident.id] still open"
onResolve:
  - Operation: Send Message
    Channel: "#incidents"
    Message: "[incident.id] resolved after [resolution.duration]"
`);
  await w.runUntil(async () => {
    // incident.service is optional when opening, so its template cannot render.
    const handle = await openIncident(client, flawed, { 'incident.id': id }, w.taskQueue);
    await eventually('the incident to open', async () => (await handle.query(incidentStateQuery)).status === 'open');
    await handle.signal(incidentUpdateSignal, { text: 'no channel for updates: recorded only' });
    await handle.signal(incidentResolveSignal, {});
    const result = await handle.result();
    expect(result.status).toBe('resolved');
    const errors = result.timeline.filter((e) => e.kind === 'error').map((e) => e.text);
    expect(errors).toEqual([
      expect.stringContaining('Send Message #no-such-channel: failed: Channel #no-such-channel does not exist'),
      expect.stringContaining('Send Message #incidents: failed: no value for [incident.service]'),
    ]);
    expect(result.timeline.filter((e) => e.kind === 'update').map((e) => e.text)).toEqual(['no channel for updates: recorded only']);
    expect(messagesWith(sandbox, 'C0INCIDENTS', `${id} still open`)).toHaveLength(1);
    expect(messagesWith(sandbox, 'C0INCIDENTS', `${id} resolved after`)).toHaveLength(1);
    expect(messagesWith(sandbox, 'C0INCIDENTS', `${id} in`)).toHaveLength(0);
  });
});
