/**
 * Attack: a `runner` token bound to bob posts an incident update as carol, a
 * severity change as dave and closes an action item as alice, and Slack shows
 * them as those people with no record of the token; a `ci` token cancels
 * another pipeline's approval "by carol". And: the CLI straight against
 * Temporal writes without saying which operator did.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { incidentStateQuery } from '../../../workflows/messages';
import type { IncidentState } from '../../../core/incident/types';
import { card } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

const RUNNER = 'runner-token-0123456789abcdef';
const CI = 'ci-token-0123456789abcdef0123';
const OPS = 'ops-as-anyone-token-0123456789';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({
    apiTokens: [
      { name: 'runner', token: RUNNER, permissions: ['runbooks:run', 'incidents:read', 'incidents:write'], slackUser: 'U0BOB' },
      { name: 'ci', token: CI, permissions: ['approvals:write', 'approvals:read'] },
      { name: 'ops', token: OPS, permissions: ['runbooks:run', 'incidents:read', 'incidents:write', 'incidents:write-as-anyone'] },
    ],
  });
});
afterAll(() => s?.close());

const state = (id: string) => s.client.workflow.getHandle(`incident-${id}`).query(incidentStateQuery);

async function openIncident(token: string, extra: Record<string, unknown> = {}): Promise<{ id: string; opened: IncidentState; thread: { channel: string; ts: string } }> {
  const id = `ASANY-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
  const res = await s.api('POST', '/runbooks/seed-example/runs', token, { inputs: { 'incident.id': id, 'incident.severity': 'SEV3', 'incident.service': 'checkout', 'incident.description': 'Payments slow' }, ...extra });
  expect(res.status).toBe(201);
  const opened = await eventually('the incident open', async () => {
    const st = await state(id);
    return st.status === 'open' && st.threadTs ? st : undefined;
  });
  return { id, opened, thread: { channel: opened.threadChannel!, ts: opened.threadTs! } };
}

test('a token bound to bob cannot write as carol, dave or alice: 403 naming the permission, nothing recorded or posted', async () => {
  const { id, opened, thread } = await openIncident(RUNNER, { openedBy: undefined });
  const asCarol = await s.api('POST', `/incidents/${id}/updates`, RUNNER, { text: 'All good, stand down', author: 'U0CAROL' });
  expect(asCarol.status).toBe(403);
  expect(asCarol.body.message).toBe('The token "runner" acts as U0BOB only; acting as U0CAROL needs the permission incidents:write-as-anyone.');
  const asDave = await s.api('POST', `/incidents/${id}/severity`, RUNNER, { severity: 'SEV4', by: 'U0DAVE' });
  expect(asDave.status).toBe(403);
  const resolveAsErin = await s.api('POST', `/incidents/${id}/resolve`, RUNNER, { resolvedBy: 'U0ERIN' });
  expect(resolveAsErin.status).toBe(403);
  const addAsCarol = await s.api('POST', `/incidents/${id}/tasks`, RUNNER, { text: 'Check the gateway', by: 'U0CAROL' });
  expect(addAsCarol.status).toBe(403);
  const openAsCarol = await s.api('POST', '/runbooks/seed-example/runs', RUNNER, { inputs: { 'incident.id': `${id}-2` }, openedBy: 'U0CAROL' });
  expect(openAsCarol.status).toBe(403);

  // As itself: accepted, shown as bob, recorded with the token.
  const item = await s.api('POST', `/incidents/${id}/tasks`, RUNNER, { text: 'Check the gateway' });
  expect(item.status).toBe(201);
  const doneAsAlice = await s.api('POST', `/incidents/${id}/tasks/1/done`, RUNNER, { by: 'U0ALICE' });
  expect(doneAsAlice.status).toBe(403);
  expect(await s.api('POST', `/incidents/${id}/updates`, RUNNER, { text: 'Rolled back' })).toEqual({ status: 202, body: { accepted: true } });
  await eventually('the update in the thread', () => s.sandbox.replies(thread.channel, thread.ts).find((m) => m.text.includes('Rolled back')));

  const after = await state(id);
  expect(after.updates).toBe(1);
  expect(after.incident.severity).toBe('SEV3');
  expect(after.status).toBe('open');
  expect(after.actionItems).toEqual([expect.objectContaining({ id: 1, status: 'open', addedBy: 'U0BOB' })]);
  const texts = s.sandbox.replies(thread.channel, thread.ts).map((m) => m.text);
  expect(texts.filter((t) => /U0CAROL|U0DAVE|U0ALICE|U0ERIN/.test(t))).toEqual([]);
  expect(texts).toContainEqual(expect.stringContaining(':memo: *Update 1* from <@U0BOB>: Rolled back'));
  const written = after.timeline.filter((e) => e.kind !== 'step');
  expect(written).toEqual([
    expect.objectContaining({ kind: 'opened', by: 'U0BOB', caller: { token: 'runner' } }),
    expect.objectContaining({ kind: 'action_item', by: 'U0BOB', caller: { token: 'runner' } }),
    expect.objectContaining({ kind: 'update', text: 'Rolled back', by: 'U0BOB', caller: { token: 'runner' } }),
  ]);
  expect(opened.timeline[0]).toMatchObject({ kind: 'opened', by: 'U0BOB' });
}, 60_000);

test('a token with incidents:write-as-anyone names the person, and the record says which token', async () => {
  const { id, thread } = await openIncident(OPS, { openedBy: 'U0ALICE' });
  expect(await s.api('POST', `/incidents/${id}/severity`, OPS, { severity: 'SEV2', by: 'U0DAVE' })).toEqual({ status: 202, body: { accepted: true } });
  await eventually('the severity change', () => s.sandbox.replies(thread.channel, thread.ts).find((m) => m.text.includes('by <@U0DAVE>')));
  const after = await state(id);
  expect(after.timeline[0]).toMatchObject({ kind: 'opened', by: 'U0ALICE', caller: { token: 'ops' } });
  expect(after.timeline.find((e) => e.kind === 'severity')).toMatchObject({ by: 'U0DAVE', caller: { token: 'ops' } });
  expect(after.severityChanges).toEqual([expect.objectContaining({ to: 'SEV2', by: 'U0DAVE' })]);
}, 60_000);

test('the CLI straight against Temporal records its operator on the timeline', async () => {
  const { id } = await openIncident(RUNNER);
  const cli = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), 'incident', 'update', id, 'From the terminal', '--as', 'U0CAROL', '--no-api'], {
    env: { ...process.env, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, SIGNALROOM_API_URL: '', SIGNALROOM_API_TOKEN: '', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  cli.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number>((resolve) => cli.on('close', (c) => resolve(c ?? -1)));
  expect({ code, err }).toEqual({ code: 0, err: '' });
  const entry = await eventually('the update recorded', async () => (await state(id)).timeline.find((e) => e.kind === 'update'));
  expect(entry).toMatchObject({ text: 'From the terminal', by: 'U0CAROL', caller: { operator: expect.stringMatching(/^.+@.+$/) } });
}, 60_000);

test("a ci token cannot cancel another pipeline's approval as carol: 403, the card stays pending", async () => {
  const execution = `asany-${Date.now().toString(36)}`;
  const created = await s.api('POST', '/approvals', CI, { pipeline: 'billing', stage: 'prod', execution, approverGroups: ['release'], channel: CHANNEL, timeout: '10m' });
  expect(created.status).toBe(201);
  const id = encodeURIComponent(String(created.body.id));
  await eventually('the card', () => card(s.sandbox, execution));
  const asCarol = await s.api('POST', `/approvals/${id}/cancel`, CI, { by: 'U0CAROL', reason: 'not needed' });
  expect(asCarol.status).toBe(403);
  expect(asCarol.body.message).toBe('The token "ci" is bound to no Slack user (slackUser), so it cannot cancel as U0CAROL without the permission approvals:decide-as-anyone.');
  expect((await s.api('GET', `/approvals/${id}`, CI)).body.status).toBe('pending');
  expect(JSON.stringify(card(s.sandbox, execution))).not.toContain('U0CAROL');

  // Without naming anyone: cancelled by the token, on the record.
  const cancelled = await s.api('POST', `/approvals/${id}/cancel`, CI, { reason: 'superseded' });
  expect(cancelled).toEqual({ status: 200, body: { accepted: true, status: 'cancelled', message: 'Cancelled.' } });
  const view = await s.api('GET', `/approvals/${id}`, CI);
  expect(view.body.outcomeNote).toBe('Cancelled: superseded');
}, 60_000);
