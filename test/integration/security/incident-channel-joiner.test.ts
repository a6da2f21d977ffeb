/**
 * Attack: someone who is neither a responder nor anyone the incident added
 * joins the public incident channel, then resolves the incident with
 * /signalroom (which archives the channel) and closes its action items with
 * their Done buttons. Being able to join a public channel is not being
 * asked to respond.
 */
import path from 'node:path';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { TASK_DONE_ACTION } from '../../../core/slack/blocks/action-item';
import { ConfigSchema } from '../../../src/config/schema';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let incidents: IncidentService;
beforeAll(async () => {
  // Responders: alice. seed-example's Create Channel adds @oncall (alice, bob) and @sre-team (alice, bob, carol).
  s = await securityStack({ config: { approverGroups: { oncall: { users: ['U0ALICE'] } }, incidents: { responderGroups: ['oncall'] } } });
  incidents = new IncidentService(s.client, s.worker.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
});
afterAll(() => s?.close());

async function commandServer(changeAccess?: 'responders' | 'channel-members') {
  const config = changeAccess ? ConfigSchema.parse({ ...s.config, incidents: { ...s.config.incidents, changeAccess } }) : s.config;
  return buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config, integrations: s.integrations, incidents }) } });
}

/** Slack gives every command a fresh trigger_id. */
let triggers = 0;
async function command(app: Awaited<ReturnType<typeof commandServer>>, text: string, user: string): Promise<string> {
  const body = new URLSearchParams({ command: '/signalroom', text, user_id: user, team_id: 'T0SANDBOX', api_app_id: 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x', trigger_id: `${++triggers}.${Date.now()}` }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(s.sandbox.signingSecret, ts, body) }, payload: body });
  return res.json().text as string;
}

test('a non-responder who joined the public channel cannot resolve with /signalroom or close an item with Done; people the incident added can', async () => {
  const app = await commandServer();
  try {
    const id = `JOIN-${Date.now().toString(36)}`;
    expect(await command(app, `incident open seed-example ${id} SEV2 checkout Payments failing`, 'U0ALICE')).toContain(`Incident ${id} is open`);
    const channel = await eventually('the incident channel', () => s.sandbox.channelByName(`incident-${id.toLowerCase()}`));
    await eventually('the incident open', async () => (await incidents.state(id)).status === 'open');
    expect(await command(app, `incident task add ${id} Roll back the gateway`, 'U0ALICE')).toBe(`Action item #1 added to ${id}.`);
    const item = await eventually('the action item', () => s.sandbox.messages(channel.id).find((m) => m.text.includes('Action item #1')));

    // Erin joins the public channel: now she is a channel member, and nothing more.
    s.sandbox.channel(channel.id)!.members.add('U0ERIN');
    expect(await command(app, `incident resolve ${id}`, 'U0ERIN')).toBe(`Not done: only a member of oncall or someone the incident added may resolve ${id}.`);
    expect(await command(app, `incident update ${id} All clear`, 'U0ERIN')).toBe(`Not done: only a member of oncall or someone the incident added may update ${id}.`);

    await s.sandbox.click({ userId: 'U0ERIN', channelId: channel.id, messageTs: item.ts, actionId: TASK_DONE_ACTION });
    await eventually('Erin told why', () => s.sandbox.ephemerals({ channelId: channel.id, userId: 'U0ERIN' }).find((e) => e.text === `Not done: only a member of oncall or someone the incident added may close action items of ${id}.`));
    const st = await incidents.state(id);
    expect(st.status).toBe('open');
    expect(st.updates).toBe(0);
    expect(st.actionItems).toEqual([expect.objectContaining({ id: 1, status: 'open' })]);
    expect(st.members).toEqual(expect.arrayContaining(['U0ALICE', 'U0BOB', 'U0CAROL']));
    expect(st.members).not.toContain('U0ERIN');
    expect(s.sandbox.channelByName(`incident-${id.toLowerCase()}`)?.archived).toBeFalsy();

    // Carol is no responder, but the runbook added her (@sre-team): she may update and close the item.
    expect(await command(app, `incident update ${id} Gateway rolled back`, 'U0CAROL')).toBe(`Update for ${id} recorded.`);
    await s.sandbox.click({ userId: 'U0CAROL', channelId: channel.id, messageTs: item.ts, actionId: TASK_DONE_ACTION });
    await eventually('item 1 done by carol', () => s.sandbox.message(channel.id, item.ts)!.text.includes('done by <@U0CAROL>'));
    await command(app, `incident resolve ${id}`, 'U0ALICE');
  } finally {
    await app.close();
  }
}, 60_000);

test('incidents.changeAccess: channel-members lets anyone in the channel change it, as configured', async () => {
  const app = await commandServer('channel-members');
  try {
    const id = `JOINCM-${Date.now().toString(36)}`;
    expect(await command(app, `incident open seed-example ${id} SEV3 checkout Slow`, 'U0ALICE')).toContain(`Incident ${id} is open`);
    const channel = await eventually('the incident channel', () => s.sandbox.channelByName(`incident-${id.toLowerCase()}`));
    await eventually('the incident open', async () => (await incidents.state(id)).status === 'open');
    s.sandbox.channel(channel.id)!.members.add('U0ERIN');
    expect(await command(app, `incident update ${id} Looking`, 'U0ERIN')).toBe(`Update for ${id} recorded.`);
    await command(app, `incident resolve ${id}`, 'U0ALICE');
  } finally {
    await app.close();
  }
}, 60_000);
