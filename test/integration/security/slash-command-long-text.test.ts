/**
 * Attack: a responder's /signalroom carries 12,000 characters in thousands
 * of words (the 16 KiB body allows it), hoping the command splits, stores
 * and echoes it all: an incident opened with a description nobody can read,
 * a reply as long as the text. The slash command parses nothing nested (it
 * splits words), so its bound is on length: past it, the command is refused
 * privately, naming the bound, and nothing is opened.
 */
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { IncidentService } from '../../../src/incidents/service';
import { responderAccess } from '../../../src/incidents/command-access';
import { buildServer } from '../../../src/server/app';
import { MAX_COMMAND_TEXT } from '../../../src/server/slack-commands';
import { computeSlackSignature } from '../../../src/server/slack-signature';
import { incidentWorkflowId } from '../../../src/incidents/errors';
import { securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
let app: Awaited<ReturnType<typeof buildServer>>;
beforeAll(async () => {
  s = await securityStack({ config: { approverGroups: { oncall: { users: ['U0ALICE'] } }, incidents: { responderGroups: ['oncall'] } } });
  const incidents = new IncidentService(s.client, s.worker.taskQueue, [path.resolve(__dirname, '../../../runbooks')]);
  app = await buildServer({ temporal: s.client, logger: false, metrics: { defaultMetrics: false }, slack: { integrations: s.integrations }, slashCommands: { incidents, authorize: responderAccess({ config: s.config, integrations: s.integrations, incidents }) } });
});
afterAll(async () => {
  await app?.close();
  await s?.close();
});

function command(text: string) {
  const body = new URLSearchParams({ command: '/signalroom', text, user_id: 'U0ALICE', team_id: 'T0SANDBOX', api_app_id: 'A0SIGNALRM', response_url: 'https://hooks.slack.com/commands/T0SANDBOX/1/x' }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  return app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': computeSlackSignature(s.sandbox.signingSecret, ts, body) }, payload: body });
}

test('a command past the length bound is refused privately, naming the bound, and opens nothing', async () => {
  const id = `LONG-${Date.now().toString(36)}`.toUpperCase();
  const res = await command(`incident open seed-example ${id} SEV3 checkout ${'word '.repeat(2_400)}`);
  expect(res.statusCode).toBe(200);
  const reply = res.json() as { response_type: string; text: string };
  expect(reply.response_type).toBe('ephemeral');
  expect(reply.text).toContain(`at most ${MAX_COMMAND_TEXT.toLocaleString('en-US')} characters`);
  expect(reply.text.length).toBeLessThan(300);
  await expect(s.client.workflow.getHandle(incidentWorkflowId(id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
});
