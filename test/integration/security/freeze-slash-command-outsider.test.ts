/**
 * Attack: erin, in the workspace but in no freeze group, freezes every
 * production deploy with `/signalroom freeze create`, and ends the release
 * managers' freeze with `/signalroom freeze end`; alice, an approver of
 * another group, tries the same.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { IncidentService } from '../../../src/incidents/service';
import { FreezeService } from '../../../src/freezes/service';
import { freezeGroupAccess } from '../../../src/freezes/command-access';
import { buildServer } from '../../../src/server/app';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { freezeStateQuery } from '../../../workflows/messages';
import { isolatedNamespace } from '../../support/temporal';
import { securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let app: Awaited<ReturnType<typeof buildServer>>;
beforeAll(async () => {
  // release: the @release-managers user group (carol, dave), resolved through Slack; sre: alice.
  s = await securityStack({ namespace: await isolatedNamespace('freeze-slack'), config: { deploys: { freezeGroups: ['release'] } } });
  const incidents = new IncidentService(s.client, s.worker.taskQueue, []);
  app = await buildServer({
    temporal: s.client,
    logger: false,
    metrics: { defaultMetrics: false },
    slack: { integrations: s.integrations },
    slashCommands: { incidents, freezes: { service: new FreezeService(s.client, s.worker.taskQueue), authorize: freezeGroupAccess({ config: s.config, integrations: s.integrations }) } },
  });
});
afterAll(async () => {
  await app?.close();
  await s?.close();
});

let triggers = 0;
async function command(text: string, user: string): Promise<string> {
  const body = new URLSearchParams({ command: '/signalroom', text, user_id: user, team_id: 'T0SANDBOX', api_app_id: 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x', trigger_id: `${++triggers}.${Date.now()}` }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const res = await app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(s.sandbox.signingSecret, ts, body) }, payload: body });
  expect(res.statusCode).toBe(200);
  return (res.json() as { text: string }).text;
}

const soon = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const create = (name: string) => `freeze create ${name} --stages production --services * --from ${soon(-1)} --until ${soon(60)} --reason Stop all deploys`;

test('someone outside the freeze groups creates nothing: refused privately, counted, no workflow', async () => {
  const name = `outsider-${Date.now().toString(36)}`;
  expect(await command(create(name), 'U0ERIN')).toBe('Not done: only a member of release may create freezes from Slack.');
  // An approver of another group is no freeze maker either.
  expect(await command(create(name), 'U0ALICE')).toBe('Not done: only a member of release may create freezes from Slack.');
  await expect(s.client.workflow.getHandle(`freeze:${name}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/signalroom_slack_clicks_total\{outcome="command_refused"\} [2-9]/);
});

test('someone outside the freeze groups ends nothing; a release manager creates and ends, and anyone may list', async () => {
  const name = `release-${Date.now().toString(36)}`;
  const created = await command(`freeze create ${name} --stages production --services checkout --from ${soon(-1)} --until ${soon(60)} --tz Europe/Berlin --reason “Black Friday”`, 'U0CAROL');
  expect(created).toMatch(new RegExp(`^Freeze \\*${name}\\* created \\(\`freeze:${name}\`\\): holds production › checkout holding now, `));

  expect(await command(`freeze end ${name} not my problem`, 'U0ERIN')).toBe('Not done: only a member of release may end freezes from Slack.');
  expect(await command(`freeze end ${name}`, 'U0ALICE')).toBe('Not done: only a member of release may end freezes from Slack.');
  const state = await s.client.workflow.getHandle(`freeze:${name}`).query(freezeStateQuery);
  expect(state).toMatchObject({ status: 'active', createdBy: 'U0CAROL', reason: 'Black Friday', timeZone: 'Europe/Berlin' });
  expect(state.ended).toBeUndefined();

  // Listing is open to anyone the command answers.
  expect(await command('freeze list', 'U0ERIN')).toContain(`${name}: active; holds production › checkout: Black Friday`);

  expect(await command(`freeze end ${name} Sale over`, 'U0DAVE')).toBe(`Freeze *${name}* ended: its hold is lifted.`);
  expect(await s.client.workflow.getHandle(`freeze:${name}`).query(freezeStateQuery)).toMatchObject({ status: 'ended', ended: { how: 'ended', by: 'U0DAVE', reason: 'Sale over' } });
});

test('a release manager\'s request the rules refuse is told why, naming the field', async () => {
  const name = `every-minute-${Date.now().toString(36)}`;
  const reply = await command(`freeze create ${name} --stages production --services * --cron * * * * * --duration 1m --tz Europe/Berlin --reason Nope`, 'U0CAROL');
  expect(reply).toMatch(/^cron: "\* \* \* \* \*" starts windows 1m apart .*; a freeze's windows start at least 1h apart$/);
  await expect(s.client.workflow.getHandle(`freeze:${name}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});
