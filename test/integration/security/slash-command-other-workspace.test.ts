/**
 * Attack: the organization's Slack app is configured without `teamId` or
 * `appId`, and the same app is installed in a workspace outside the
 * organization (a distributed app, or a test install). Slack signs that
 * workspace's commands with the app's own signing secret, so the signature
 * holds; mallory there types `/signalroom incident status …`, `task list`
 * and `approvals` to read the organization's incidents and approvals.
 *
 * The organization's workspace (and, in an Enterprise Grid, its enterprise)
 * comes from `auth.test` with the organization's bot token: a person of
 * another workspace of the same enterprise (frank, in T0LABS) still reads.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let incidents: IncidentService;
let app: FastifyInstance;
beforeAll(async () => {
  // No teamId, no appId, no enterpriseId: the organization app is told apart by its signing secret alone.
  s = await securityStack({ config: { approverGroups: { oncall: { users: ['U0ALICE'] } }, incidents: { responderGroups: ['oncall'] }, slack: { organization: {} } } });
  incidents = new IncidentService(s.client, s.worker.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
  app = await buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config: s.config, integrations: s.integrations, incidents }) } });
  s.sandbox.setSlashCommandUrl(`${await app.listen({ port: 0, host: '127.0.0.1' })}/slack/commands`);
  // A workspace outside the organization (no enterprise) where the same app is installed.
  s.sandbox.addWorkspace({ id: 'T0OUTSIDE', name: 'Outside Co', botUserId: 'U0OUTBOT', botId: 'B0OUTBOT', users: [{ id: 'U0MALLORY', name: 'mallory', realName: 'Mallory Moss' }], channels: [{ id: 'C0OUTSIDE', name: 'outside', members: ['mallory', 'bot'] }] });
});
afterAll(async () => {
  await app?.close();
  await s?.close();
});

/** What the person who typed `/signalroom <text>` in `channel` was answered. */
async function typed(userId: string, channelId: string, text: string) {
  const r = await s.sandbox.slashCommand({ userId, channelId, text });
  expect(r.response.status).toBe(200);
  return r.reply?.text ?? '';
}

test('a workspace outside the organization, signing with the organization app’s own secret, reads nothing', async () => {
  expect(s.config.slack.organization?.teamId).toBeUndefined();
  const id = `OW-${Date.now().toString(36)}`;
  expect(await typed('U0ALICE', 'C0INCIDENTS', `incident open seed-example ${id} SEV2 checkout Card errors`)).toContain(`Incident ${id} is open`);
  await eventually('the incident open', async () => ((await incidents.state(id)).status === 'open' ? true : undefined));
  expect(await typed('U0ALICE', 'C0INCIDENTS', `incident task add ${id} Roll back the card service`)).toContain('Action item #1');

  const refusal = 'Not done: /signalroom answers the organization’s own Slack workspace only, and this command came from workspace T0OUTSIDE.';
  for (const text of [`incident status ${id}`, `incident task list ${id}`, 'approvals', 'help', `incident resolve ${id}`]) {
    const answer = await typed('U0MALLORY', 'C0OUTSIDE', text);
    expect({ text, answer }).toEqual({ text, answer: refusal });
  }
  expect((await incidents.state(id)).status).toBe('open');

  // The organization's own people read as before: its workspace, and another workspace of its Enterprise Grid.
  expect(await typed('U0ERIN', 'C0GENERAL', `incident status ${id}`)).toContain(`*${id}*`);
  expect(await typed('W0FRANK', 'C0LABS', `incident task list ${id}`)).toContain('Roll back the card service');
  await typed('U0ALICE', 'C0INCIDENTS', `incident resolve ${id}`);
});
