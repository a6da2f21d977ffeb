/**
 * Attack: text from outside (an incident's description, an update, a
 * severity change's `by`, an approval's summary, requestedBy and link) carries
 * Slack markup, so that Signalroom's own messages ping everyone
 * (`<!channel>`, `<!here>`), a whole user group (`<!subteam^S123>`), or show
 * a link whose label lies about where it goes.
 *
 * Every value is escaped; only Signalroom builds mentions, from ids. The
 * sandbox reads the markup of each message as Slack would (`messageMarkup`).
 */
import { messageMarkup, markupIn } from '../../../src/sandbox';
import { approvalBlocks, approvalText } from '../../../core/slack/blocks/approval-card';
import { escapeMrkdwn, linkProblem, mrkdwnLink } from '../../../core/slack/mrkdwn';
import { renderTemplate } from '../../../core/runbook/template';
import type { ApprovalState } from '../../../core/approval/types';
import { eventually, incidentApiStack, messagesWith, uniqueIncidentId, type IncidentApiStack } from '../../support/incidents';
import { runSignalroom } from '../../support/ops';
import { API_TOKEN, approvalStack, card, CHANNEL, uniqueExecution, type ApprovalStack } from '../../support/approvals';

const PING = '<!channel> <!here> <!subteam^S123> <@U0CAROL>';
const SPOOF = '<https://evil.example|https://status.example.com>';

describe('the escaping rule (core/slack/mrkdwn.ts)', () => {
  test('escapes exactly &, < and >, so no value can become a mention or a link', () => {
    expect(escapeMrkdwn(`${PING} & ${SPOOF} *bold*`)).toBe('&lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S123&gt; &lt;@U0CAROL&gt; &amp; &lt;https://evil.example|https://status.example.com&gt; *bold*');
    expect(markupIn(escapeMrkdwn(`${PING} ${SPOOF}`))).toEqual({ mentions: [], labelledLinks: [] });
  });

  test('a link must be an http(s) URL without | or >; anything else is shown as text', () => {
    expect(linkProblem('https://ci.example.com/run/1?a=b&c=d')).toBeUndefined();
    expect(linkProblem('https://evil.example|https://status.example.com')).toMatch(/may not contain/);
    expect(linkProblem('javascript:alert(1)')).toMatch(/http/);
    expect(mrkdwnLink('https://evil.example|https://status.example.com', 'Open')).toBe('https://evil.example|https://status.example.com');
    expect(mrkdwnLink('https://ci.example.com/run/1?a=b&c=d', 'Open <!here>')).toBe('<https://ci.example.com/run/1?a=b&amp;c=d|Open &lt;!here&gt;>');
  });

  test("runbook templates keep the author's markup and escape every value", () => {
    const out = renderTemplate('<!here> *Impact*: [incident.description]', { incident: { description: PING } }, { value: escapeMrkdwn });
    expect(markupIn(out).mentions).toEqual(['!here']);
  });

  test('an approval card shows a hostile summary, requestedBy, decision reason and link as text', () => {
    const state = {
      workflowId: 'approval-x',
      status: 'rejected',
      request: { pipeline: 'deploy <!channel>', stage: 'prod', execution: '7', summary: PING, link: 'https://evil.example|https://status.example.com', requestedBy: '<!here>', onTimeout: 'reject' },
      approvers: { 'release-managers': ['U0CAROL'] },
      approvals: 0,
      needed: 1,
      decisions: [{ verb: 'reject', user: { id: '<!everyone>' }, reason: SPOOF, at: '2026-01-01T00:00:00Z' }],
      expiresAt: '2026-01-01T01:00:00.000Z',
      finishedAt: '2026-01-01T00:10:00.000Z',
    } as unknown as ApprovalState;
    const markup = messageMarkup({ text: approvalText(state), blocks: approvalBlocks(state) as never });
    expect(markup).toEqual({ mentions: [], labelledLinks: [] });
    expect(JSON.stringify(approvalBlocks(state))).toContain('&lt;!subteam^S123&gt;');
  });
});

describe('through the API, in the sandbox', () => {
  describe('incidents', () => {
    let stack: IncidentApiStack;
    const TOKEN = 'incident-injection-token-0123456789';
    beforeAll(async () => {
      // A token that may name anyone as the author still cannot make the name a mention.
      stack = await incidentApiStack([{ name: 'ops', token: TOKEN, permissions: ['incidents:read', 'incidents:write', 'incidents:write-as-anyone'] }]);
    });
    afterAll(async () => {
      await stack?.close();
    });

    test('<!channel>, <!here> and <!subteam^S123> in a description, an update and a severity change ping nobody', async () => {
      const { sandbox } = stack.slack;
      const app = stack.app;
      const id = uniqueIncidentId('INJ');
      const headers = { authorization: `Bearer ${TOKEN}` };
      const opened = await app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        headers,
        payload: { runbook: 'lifecycle', inputs: { 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'checkout', 'incident.title': 'Checkout <!here>', 'incident.description': PING } },
      });
      expect(opened.statusCode).toBe(201);
      const channel = await eventually('the incident channel', () => sandbox.channelByName(`incident-${id.toLowerCase()}`));
      const notification = await eventually('the notification', () => sandbox.messages(channel.id).find((m) => JSON.stringify(m.blocks ?? []).includes('*Impact*')));
      expect(JSON.stringify(notification.blocks)).toContain('*Impact*: &lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S123&gt; &lt;@U0CAROL&gt;');
      await eventually('the updates thread', () => messagesWith(sandbox, channel.id, `Updates for incident ${id}`)[0]);

      const upd = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/updates`, headers, payload: { text: `Rolled back ${PING} ${SPOOF}`, author: '<!everyone>' } });
      expect(upd.statusCode).toBeLessThan(300);
      await eventually('the update in Slack', () => messagesWith(sandbox, channel.id, ':memo: *Update 1* from &lt;!everyone&gt;: Rolled back &lt;!channel&gt;').length === 1);
      const sev = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/severity`, headers, payload: { severity: 'SEV1', by: '<!here>' } });
      expect(sev.statusCode).toBeLessThan(300);
      await eventually('the severity change in Slack', () => messagesWith(sandbox, channel.id, 'to *SEV1* by &lt;!here&gt;').length === 1);
      // The notification was also updated with the update's text (onUpdate).
      await eventually('the updated notification', () => messagesWith(sandbox, channel.id, 'Latest: Rolled back &lt;!channel&gt;').length === 1);

      for (const m of sandbox.messages(channel.id)) expect([m.text, messageMarkup(m)]).toEqual([m.text, { mentions: [], labelledLinks: [] }]);
    });
  });

  describe('approvals', () => {
    let stack: ApprovalStack;
    beforeAll(async () => {
      stack = await approvalStack();
    });
    afterAll(() => stack?.close());
    const request = (body: Record<string, unknown>) =>
      stack.server.inject({ method: 'POST', url: '/api/v1/approvals', headers: { authorization: `Bearer ${API_TOKEN}` }, payload: { stage: 'production', approverGroups: ['release'], channel: '#deploys', ...body } });

    test('an approval summary with <!channel>, <!here> and <!subteam^S123> appear escaped on the card', async () => {
      const execution = uniqueExecution('inj');
      const res = await request({ pipeline: 'payments-api', execution, summary: `Deploy ${PING}` });
      expect([res.statusCode, res.body]).toEqual([201, expect.any(String)]);
      const posted = await eventually('the card', () => card(stack.sandbox, execution, CHANNEL));
      expect(JSON.stringify(posted.blocks)).toContain('Deploy &lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S123&gt; &lt;@U0CAROL&gt;');
      expect(messageMarkup(posted)).toEqual({ mentions: [], labelledLinks: [] });
    });

    test('a spoofed link (<https://evil.example|https://status.example.com>) is refused with a 400 naming the link, and no card is posted', async () => {
      const execution = uniqueExecution('spoof');
      for (const link of ['https://evil.example|https://status.example.com', SPOOF, 'javascript:alert(1)', 'https://ci.example.com/>']) {
        const res = await request({ pipeline: 'payments-api', execution, link });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: 'invalid_request', field: 'body.link' });
      }
      expect(card(stack.sandbox, execution, CHANNEL)).toBeUndefined();
      const ok = await request({ pipeline: 'payments-api', execution, link: 'https://ci.example.com/run/7?x=1&y=2' });
      expect(ok.statusCode).toBeLessThan(300);
      const posted = await eventually('the card', () => card(stack.sandbox, execution, CHANNEL));
      expect(messageMarkup(posted).labelledLinks).toEqual([{ url: 'https://ci.example.com/run/7?x=1&amp;y=2', label: 'Open the pipeline run' }]);
    });
  });
});

test('the CLI refuses a spoofed --link with exit 64 before anything is requested', async () => {
  const run = (link: string) =>
    runSignalroom(['approval', 'request', '--pipeline', 'api', '--stage', 'production', '--execution', '7', '--approvers', 'release', '--channel', '#deploys', '--link', link], {
      env: { TEMPORAL_ADDRESS: '127.0.0.1:9', SIGNALROOM_CONFIG: undefined },
    });
  const spoofed = await run('https://evil.example|https://status.example.com');
  expect(spoofed.code).toBe(64);
  expect(spoofed.stderr).toContain('--link https://evil.example|https://status.example.com: a link may not contain "|"');
});
