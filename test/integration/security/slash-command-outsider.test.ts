/**
 * Attack: someone from another workspace (signing with another configured
 * app's secret), or anyone in the workspace, opens, updates and resolves
 * incidents with /signalroom — and resolving archives the incident channel.
 * And: names an incident in markup (`<!here>X`, the same incident as
 * `_here_X`), hoping a reply or refusal echoes it as a mention.
 */
import path from 'node:path';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { markupIn } from '../../../src/sandbox';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { CONNECTOR_APP_ID, CONNECTOR_SECRET, CONNECTOR_TEAM_ID, eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let incidents: IncidentService;
beforeAll(async () => {
  s = await securityStack({ config: { approverGroups: { oncall: { users: ['U0ALICE'] } }, incidents: { responderGroups: ['oncall'] } } });
  incidents = new IncidentService(s.client, s.worker.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
  // The stack's server has no slash command: this one does, as `signalroom server` builds it.
  await s.server.close();
});
afterAll(() => s?.close());

async function commandServer() {
  const app = await buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config: s.config, integrations: s.integrations, incidents }) } });
  return app;
}

/** Slack gives every command a fresh trigger_id. */
let triggers = 0;
function command(app: Awaited<ReturnType<typeof commandServer>>, text: string, o: { user: string; team?: string; appId?: string; secret?: string }) {
  const body = new URLSearchParams({ command: '/signalroom', text, user_id: o.user, team_id: o.team ?? 'T0SANDBOX', api_app_id: o.appId ?? 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x', trigger_id: `${++triggers}.${Date.now()}` }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(o.secret ?? s.sandbox.signingSecret, ts, body) }, payload: body });
}

test('another workspace’s app, and a person outside the responders, change nothing; refusals are private and counted', async () => {
  const app = await commandServer();
  try {
    const id = `SEC-${Date.now().toString(36)}`;
    // Outsider from another workspace, signing with the connector's secret.
    const foreign = await command(app, `incident open seed-example ${id} SEV1 checkout Fake`, { user: 'U0MALLORY', team: CONNECTOR_TEAM_ID, appId: CONNECTOR_APP_ID, secret: CONNECTOR_SECRET });
    expect(foreign.statusCode).toBe(200);
    expect(foreign.json()).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Not done: /signalroom is served for the organization') });
    // erin is in the workspace but no responder.
    const erin = await command(app, `incident open seed-example ${id} SEV1 checkout Fake`, { user: 'U0ERIN' });
    expect(erin.json()).toEqual({ response_type: 'ephemeral', text: 'Not done: only a member of oncall may open incidents from Slack.' });
    await expect(incidents.state(id)).rejects.toThrow();

    // alice (oncall) opens it; erin, not in its channel, may not resolve it (which would archive the channel).
    expect((await command(app, `incident open seed-example ${id} SEV2 checkout Real`, { user: 'U0ALICE' })).json().text).toContain(`Incident ${id} is open`);
    const channel = await eventually('the incident channel', () => s.sandbox.channelByName(`incident-${id.toLowerCase()}`));
    await eventually('the incident open in its channel', async () => {
      const st = await incidents.state(id);
      return (st.status === 'open' && st.incident.channelId === channel.id) || undefined;
    });
    const resolve = await command(app, `incident resolve ${id}`, { user: 'U0ERIN' });
    expect(resolve.json().text).toBe(`Not done: only a member of oncall or someone the incident added may resolve ${id}.`);
    expect((await incidents.state(id)).status).toBe('open');
    expect(s.sandbox.channelByName(`incident-${id.toLowerCase()}`)?.archived).toBeFalsy();
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('signalroom_slack_clicks_total{outcome="command_refused"} 3');
    // Reading stays open to anyone the signature vouches for.
    expect((await command(app, `incident status ${id}`, { user: 'U0ERIN' })).json().text).toContain(`*${id}*`);
  } finally {
    await app.close();
  }
});

test('an incident named in markup (<!here>…) is echoed as text in every reply and refusal, never as a mention', async () => {
  const app = await commandServer();
  try {
    // `<!here>X` and `_here_X` name the same incident (ids become workflow ids with markup replaced), so a reply that echoes the id as typed would carry the mention.
    const id = `_here_${Date.now().toString(36)}`;
    const named = `<!here>${id.slice('_here_'.length)}`;
    expect((await command(app, `incident open seed-example ${id} SEV3 checkout Markup in replies`, { user: 'U0ALICE' })).json().text).toContain(`Incident ${id} is open`);
    const replies = [
      (await command(app, `incident task list ${named}`, { user: 'U0ALICE' })).json().text,
      (await command(app, `incident task add ${named} Look at <!channel>`, { user: 'U0ALICE' })).json().text,
      (await command(app, `incident task done ${named} 1`, { user: 'U0ALICE' })).json().text,
      (await command(app, `incident task list ${named}`, { user: 'U0ALICE' })).json().text,
      (await command(app, `incident update ${named} Still looking`, { user: 'U0ALICE' })).json().text,
      (await command(app, `incident status ${named}`, { user: 'U0ALICE' })).json().text,
      (await command(app, `incident task add ${named} Sneaky`, { user: 'U0ERIN' })).json().text,
    ];
    expect(replies[0]).toBe(`&lt;!here&gt;${id.slice('_here_'.length)} has no action items.`);
    expect(replies[1]).toBe(`Action item #1 added to &lt;!here&gt;${id.slice('_here_'.length)}.`);
    expect(replies[6]).toMatch(new RegExp(`^Not done: .* may task &lt;!here&gt;${id.slice('_here_'.length)}\\.$`));
    for (const text of replies) expect(markupIn(text)).toEqual({ mentions: [], labelledLinks: [] });
    await command(app, `incident resolve ${id}`, { user: 'U0ALICE' });
  } finally {
    await app.close();
  }
});
