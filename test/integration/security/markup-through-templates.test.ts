/**
 * Attack: an input filled into a runbook template carries Slack markup where
 * the runbook places it somewhere other than a message's text:
 * - `incident.dashboard=!channel` lands inside the runbook's own link
 *   `<[incident.dashboard]|checkout overview>` and becomes `<!channel|…>`,
 *   which pings the whole channel;
 * - `incident.title` with `<!channel>` goes raw into the channel's purpose and
 *   topic, a file's title and the postmortem canvas's title;
 * - the failed-approval card echoes a pipeline, stage and execution as typed,
 *   and a refusal echoes an approval field's label as typed.
 *
 * A value is escaped wherever it is placed; a value placed as a link target
 * must be an http(s) URL, or the step fails with a problem naming it.
 */
import type { Client } from '@temporalio/client';
import { markupIn, messageMarkup } from '../../../src/sandbox';
import { openIncident } from '../../../src/incidents/client';
import { failedApprovalBlocks, failedApprovalText } from '../../../core/slack/blocks/approval-failed';
import { judgeAttempt } from '../../../core/approval/policy';
import type { ApprovalState } from '../../../core/approval/types';
import { incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { eventually, incidentSlack, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

const PING = '<!channel>';
const NO_MARKUP = { mentions: [], labelledLinks: [] };

describe('values placed in a template, in the sandbox', () => {
  let slack: IncidentSlack;
  let client: Client;
  let w: TestWorker;
  beforeAll(async () => {
    slack = await incidentSlack();
    client = await testClient();
  });
  // A worker runs once: each test gets its own.
  beforeEach(async () => {
    w = await testWorker({ activityDeps: { integrations: slack.integrations } });
  });
  afterEach(() => w?.close());
  afterAll(async () => {
    await client?.connection.close();
    await slack?.close();
  });

  const runbook = runbookFrom(`
name: markup-through-templates
inputs: [incident.id, incident.title, incident.dashboard, incident.panel]
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
    Description: "Channel for incident [incident.id]: [incident.title]"
  - Operation: Set Topic
    Topic: "SEV1 checkout: [incident.title] | updates in the thread"
  - Operation: Send Message
    Id: dashboard
    Message: "Dashboard"
    Blocks:
      - Type: context
        Text: "Dashboard: <[incident.dashboard]|checkout overview>"
  - Operation: Send Message
    Id: panel
    Message: "Panel: <https://grafana.example.com/d/[incident.panel]|error rate>"
  - Operation: Upload File
    Content: "gateway timeout"
    Filename: "gateway.log"
    Title: "Log for [incident.title]"
onResolve:
  - Operation: Create Postmortem
    Title: "Postmortem: [incident.title]"
`);

  test('a link target that is not an http(s) URL fails its step naming the input; titles, topic and purpose show markup as text', async () => {
    const id = uniqueIncidentId('MARK');
    const { sandbox } = slack;
    await w.runUntil(async () => {
      const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.title': `Checkout ${PING}`, 'incident.dashboard': '!channel', 'incident.panel': '1|<!here> x' }, w.taskQueue);
      const opened = await eventually('the incident to open', async () => {
        const s = await handle.query(incidentStateQuery);
        return s.status === 'open' && s;
      });
      const channelId = opened.incident.channelId!;
      const channel = sandbox.channel(channelId)!;
      expect(channel.purpose.value).toBe(`Channel for incident ${id}: Checkout &lt;!channel&gt;`);
      expect(channel.topic.value).toBe('SEV1 checkout: Checkout &lt;!channel&gt; | updates in the thread');

      // Neither link was posted: each step failed, naming the input that was no link.
      const errors = opened.timeline.filter((e) => e.kind === 'error').map((e) => e.text);
      expect(errors).toEqual([
        expect.stringMatching(/Send Message.*failed: \[incident\.dashboard\] is placed as a link but is not an http\(s\) URL/),
        expect.stringMatching(/Send Message.*failed: \[incident\.panel\] is placed inside a link and may not contain/),
      ]);
      expect(opened.steps.dashboard).toBeUndefined();
      const file = sandbox.messages(channelId).flatMap((m) => m.files ?? []).map((f) => sandbox.file(f)!)[0];
      expect(file.title).toBe('Log for Checkout &lt;!channel&gt;');
      for (const m of sandbox.messages(channelId)) expect([m.text, messageMarkup(m)]).toEqual([m.text, NO_MARKUP]);

      await handle.signal(incidentResolveSignal, { summary: 'Rolled back' });
      await eventually('the postmortem canvas', () => sandbox.canvases(channelId)[0]);
      const [canvas] = sandbox.canvases(channelId);
      expect(canvas.title).toBe('Postmortem: Checkout &lt;!channel&gt;');
      const link = await eventually('the postmortem link', () => sandbox.messages(channelId).find((m) => m.text.includes(':memo: Postmortem')));
      expect(messageMarkup(link).mentions).toEqual([]);
      expect(messageMarkup(link).labelledLinks).toEqual([{ url: expect.any(String), label: 'Postmortem: Checkout &lt;!channel&gt;' }]);
    });
  });

  test('a dashboard that is an http(s) URL is still a link', async () => {
    const id = uniqueIncidentId('MARKOK');
    await w.runUntil(async () => {
      const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.title': 'Checkout', 'incident.dashboard': 'https://grafana.example.com/d/checkout?a=1&b=2', 'incident.panel': '7' }, w.taskQueue);
      const opened = await eventually('the incident to open', async () => {
        const s = await handle.query(incidentStateQuery);
        return s.status === 'open' && s;
      });
      expect(opened.timeline.filter((e) => e.kind === 'error')).toEqual([]);
      const channelId = opened.incident.channelId!;
      const links = slack.sandbox.messages(channelId).flatMap((m) => messageMarkup(m).labelledLinks);
      expect(links).toEqual([
        { url: 'https://grafana.example.com/d/checkout?a=1&amp;b=2', label: 'checkout overview' },
        { url: 'https://grafana.example.com/d/7', label: 'error rate' },
      ]);
    });
  });
});

describe('cards and refusals', () => {
  const state = {
    workflowId: 'approval:x',
    status: 'pending',
    request: { pipeline: `deploy ${PING}`, stage: '<!here>', execution: '<@U0CAROL>', summary: 'Deploy', requestedBy: 'U0ALICE', onTimeout: 'reject', inputs: [{ name: 'ticket', label: `Ticket ${PING}`, required: true }] },
    approvers: { release: ['U0CAROL'] },
    approvals: 0,
    needed: 1,
    decisions: [],
    refused: [],
    expiresAt: '2026-01-01T01:00:00.000Z',
  } as unknown as ApprovalState;

  test('the failed-approval card shows pipeline, stage and execution as text', () => {
    const text = failedApprovalText(state, 'no approver group "release"');
    expect(markupIn(text)).toEqual(NO_MARKUP);
    // The one mention is the requester's, built by code from a checked id.
    expect(messageMarkup({ text, blocks: failedApprovalBlocks(state, 'gone') as never })).toEqual({ mentions: ['@U0ALICE'], labelledLinks: [] });
  });

  test("a refusal for a missing field quotes the field's label as text", () => {
    const verdict = judgeAttempt(state, { verb: 'approve', user: { id: 'U0CAROL' }, inputs: {} } as never) as { ok: boolean; why?: string };
    expect(verdict.ok).toBe(false);
    expect(verdict.why).toContain('Ticket &lt;!channel&gt;');
    expect(markupIn(verdict.why!)).toEqual(NO_MARKUP);
  });
});
