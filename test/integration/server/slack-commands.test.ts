/**
 * The /signalroom slash command: verified like clicks, and answering what a
 * person asked — their pending approvals, and the incident commands. Each
 * command is typed in the sandbox (sandbox.slashCommand): Slack's full,
 * signed body reaches the server, and the answer is what the person sees.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { buildServer } from '../../../src/server/app';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { requestApproval } from '../../../src/approvals/client';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { slackHarness, type SlackHarness } from '../../support/slack';
import { eventually } from '../../support/eventually';

const SECRET = 'commands-secret-0123456789abcdef';
let h: SlackHarness;
let client: Client;
let w: RunningWorker;
let app: FastifyInstance;

beforeAll(async () => {
  h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] }, oncall: { users: ['U0ALICE'] } }, incidents: { responderGroups: ['oncall'] } }, { signingSecret: SECRET });
  w = await runningWorker({ activityDeps: { integrations: h.integrations } });
  client = w.client;
  const incidents = new IncidentService(client, w.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
  app = await buildServer({
    temporal: client,
    logger: false,
    signingSecrets: [SECRET],
    responseUrlBases: ['http://127.0.0.1:'],
    slashCommands: { incidents, authorize: responderAccess({ config: h.config, integrations: h.integrations, incidents }) },
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  h.sandbox.setSlashCommandUrl(`${url}/slack/commands`);
});
afterAll(async () => {
  await app.close();
  await w.stop();
  await h.close();
});

/** A person types `/signalroom <text>` in #deploys: what Signalroom answered them. */
async function command(text: string, user = 'U0CAROL') {
  const r = await h.sandbox.slashCommand({ userId: user, channelId: 'C0DEPLOYS', text });
  expect(r.response.status).toBe(200);
  return { json: () => ({ response_type: r.reply?.responseType, text: r.reply?.text ?? '' }) };
}

/** Slack gives every command a fresh trigger_id. */
let triggers = 0;
/** A body signed with `secret`, posted by hand: the one thing the sandbox never sends is a bad signature. */
function forged(text: string, secret: string) {
  const body = new URLSearchParams({ command: '/signalroom', text, user_id: 'U0CAROL', team_id: 'T0SANDBOX', response_url: 'http://127.0.0.1:9/x', trigger_id: `${++triggers}.${Date.now()}` }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return app.inject({
    method: 'POST',
    url: '/slack/commands',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(secret, ts, body) },
    payload: body,
  });
}

test('an unsigned or wrongly signed command is refused', async () => {
  const res = await forged('approvals', 'wrong-secret-0123456789abcdef');
  expect(res.statusCode).toBe(401);
});

test('help, and an unknown command explains itself', async () => {
  expect((await command('')).json().text).toContain('/signalroom approvals');
  expect((await command('frobnicate')).json().text).toContain('I did not understand `frobnicate`');
});

test('attack: 60 pending approvals for other people, newer than hers, do not hide the one carol may decide from /signalroom approvals', async () => {
  const run = Date.now().toString(36);
  const mine = await requestApproval(client, { pipeline: 'api', stage: 'prod', execution: `${run}-carol`, approverGroups: ['release'], requestedBy: 'U0DAVE', destination: { channel: '#deploys' }, timeout: '10m' }, w.taskQueue);
  await eventually('her card', () => h.sandbox.messages('C0DEPLOYS').find((m) => m.text.includes(`(${run}-carol)`)));
  const others = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      requestApproval(client, { pipeline: 'noise', stage: 'prod', execution: `${run}-${i}`, approverGroups: ['oncall'], destination: { channel: '#deploys' }, timeout: '10m' }, w.taskQueue),
    ),
  );
  await eventually('the other cards', () => h.sandbox.messages('C0DEPLOYS').filter((m) => /\(\w+-\d+\)/.test(m.text) && m.text.includes(`(${run}-`)).length === 60, 60_000);
  // Visibility is eventually consistent: the newer runs are listed before hers is looked for.
  await eventually('the newer runs listed', async () => (await client.workflow.count(`SignalroomPipeline = 'noise' AND ExecutionStatus = 'Running'`)).count >= 60);
  await eventually('the approval in carol\'s /signalroom approvals', async () => {
    const text: string = (await command('approvals', 'U0CAROL')).json().text;
    return text.includes(mine.workflowId) ? text : undefined;
  });
  await Promise.all([...others, mine].map((hd) => hd.terminate('test done')));
}, 120_000);

test('/signalroom approvals lists the pending approvals this person may decide, and only those', async () => {
  const execution = Date.now().toString(36);
  const handle = await requestApproval(
    client,
    { pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], requestedBy: 'U0DAVE', destination: { channel: '#deploys' }, timeout: '10m' },
    w.taskQueue,
  );
  await eventually('the approval card', () => h.sandbox.messages('C0DEPLOYS').find((m) => m.text.includes(`(${execution})`)));
  const carol = await eventually('the approval in carol\'s /signalroom approvals', async () => {
    const text: string = (await command('approvals', 'U0CAROL')).json().text;
    return text.includes(handle.workflowId) ? text : undefined;
  });
  expect(carol).toContain('*api › prod*');
  // dave asked for it (no self-approval), erin is no approver.
  expect((await command('approvals', 'U0DAVE')).json().text).not.toContain(handle.workflowId);
  expect((await command('approvals', 'U0ERIN')).json().text).not.toContain(handle.workflowId);
  await handle.terminate('test done');
});

test('/signalroom incident open, update, status and resolve', async () => {
  const id = `CMD-${Date.now().toString(36)}`;
  const opened = (await command(`incident open seed-example ${id} SEV2 checkout Card payments failing`, 'U0ALICE')).json().text;
  expect(opened).toContain(`Incident ${id} is open with runbook seed-example`);
  const channel = await eventually('the incident channel', () => h.sandbox.channelByName(`incident-${id.toLowerCase()}`));
  await eventually('the incident notification', () => h.sandbox.messages(channel.id).find((m) => m.text.includes('SEV2 incident detected in checkout')));
  expect((await command(`incident update ${id} Rolled back the deploy`, 'U0ALICE')).json().text).toBe(`Update for ${id} recorded.`);
  const status = await eventually('the update in /signalroom incident status', async () => {
    const text: string = (await command(`incident status ${id}`)).json().text;
    return text.includes('1 updates') ? text : undefined;
  });
  expect(status).toContain('open, severity SEV2');
  // Action items: added and closed by a responder, listed; a stranger may not add one.
  expect((await command(`incident task add ${id} Check the <gateway> config`, 'U0ALICE')).json().text).toBe(`Action item #1 added to ${id}.`);
  await eventually('the action item in the channel', () => h.sandbox.messages(channel.id).find((m) => m.text === ':ballot_box_with_check: Action item #1 Check the &lt;gateway&gt; config'));
  expect((await command(`incident task add ${id} Sneaky item`, 'U0ERIN')).json().text).toMatch(/^Not done: /);
  expect((await command(`incident task done ${id} 1`, 'U0ALICE')).json().text).toBe(`Action item #1 of ${id} is done.`);
  expect((await command(`incident task done ${id} 1`, 'U0ALICE')).json().text).toContain('action item #1 is already done');
  expect((await command(`incident task list ${id}`, 'U0ALICE')).json().text).toBe(`Action items of ${id}:\n• #1 :white_check_mark: Check the &lt;gateway&gt; config`);
  expect((await command(`incident resolve ${id} Fixed by rollback`, 'U0ALICE')).json().text).toContain('post-incident steps are running');
  expect((await command('incident open no-such-runbook X-1', 'U0ALICE')).json().text).toContain('No valid runbook named "no-such-runbook"');
});
