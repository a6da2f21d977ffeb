/**
 * Attack: capture one signed /signalroom request (a responder adding an
 * action item) and send the same bytes again, three times, within the
 * signature's 5-minute window: each copy verifies, and each created an item.
 */
import path from 'node:path';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let incidents: IncidentService;
beforeAll(async () => {
  s = await securityStack({ config: { approverGroups: { oncall: { users: ['U0ALICE'] } }, incidents: { responderGroups: ['oncall'] } } });
  incidents = new IncidentService(s.client, s.worker.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
});
afterAll(() => s?.close());

/** Slack gives every command a fresh trigger_id. */
let triggers = 0;
test('a signed slash command replayed three times acts once; the copies are answered and counted', async () => {
  const app = await buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config: s.config, integrations: s.integrations, incidents }) } });
  try {
    const signed = (text: string, ts = String(Math.floor(Date.now() / 1000))) => {
      const body = new URLSearchParams({ command: '/signalroom', text, user_id: 'U0ALICE', team_id: 'T0SANDBOX', api_app_id: 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x', trigger_id: `${++triggers}.${Date.now()}` }).toString();
      return { method: 'POST' as const, url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(s.sandbox.signingSecret, ts, body) }, payload: body };
    };
    const id = `REPLAY-${Date.now().toString(36)}`;
    expect((await app.inject(signed(`incident open seed-example ${id} SEV3 checkout Slow`))).json().text).toContain(`Incident ${id} is open`);
    await eventually('the incident open', async () => (await incidents.state(id)).status === 'open');

    const captured = signed(`incident task add ${id} Restart the gateway`);
    const first = await app.inject(captured);
    expect(first.json()).toEqual({ response_type: 'ephemeral', text: `Action item #1 added to ${id}.` });
    for (let i = 0; i < 3; i++) {
      const copy = await app.inject(captured);
      expect(copy.statusCode).toBe(200);
      expect(copy.json()).toEqual({ response_type: 'ephemeral', text: 'Not done: this exact command was already received, so it was not run again.' });
    }
    // The same words sent again as a new command (a new timestamp and signature) are a new request.
    expect((await app.inject(signed(`incident task add ${id} Restart the gateway`, String(Math.floor(Date.now() / 1000) - 1)))).json().text).toBe(`Action item #2 added to ${id}.`);
    expect((await incidents.tasks(id)).map((t) => t.id)).toEqual([1, 2]);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('signalroom_slack_clicks_total{outcome="command_replayed"} 3');
    await app.inject(signed(`incident resolve ${id}`));
  } finally {
    await app.close();
  }
}, 60_000);
