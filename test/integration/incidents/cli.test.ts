/**
 * The incident commands as an operator runs them: `node bin/signalroom.js`
 * against the test dev server, with a worker (in this process) on the
 * command's task queue talking to the sandbox.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runningWorker, testNamespace, testTemporalAddress, type RunningWorker } from '../../support/temporal';
import { incidentWorkflowId } from '../../../src/incidents/errors';
import { incidentStateQuery } from '../../../workflows/messages';
import { runSignalroom } from '../../support/ops';
import { eventually, incidentSlack, messagesWith, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

const ROOT = path.join(__dirname, '../../..');
let slack: IncidentSlack;
let w: RunningWorker;

beforeAll(async () => {
  slack = await incidentSlack();
  w = await runningWorker({ activityDeps: { integrations: slack.integrations } });
});
afterAll(async () => {
  await w?.stop();
  await slack?.close();
});

/** Waits for the incident to read as resolved, asking its workflow directly: a command line per poll would cost a process each. */
const resolved = (id: string) =>
  eventually('the resolved state', async () => (await w.client.workflow.getHandle(incidentWorkflowId(id)).query(incidentStateQuery)).status === 'resolved');

const signalroom = (...args: string[]) =>
  runSignalroom(args, {
    // No configuration file: the built-in defaults apply (runbooks from runbooks/).
    env: { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: testNamespace(), SIGNALROOM_TASK_QUEUE: w.taskQueue, SIGNALROOM_CONFIG: undefined },
  });

test('open, update, severity, status, resolve: an incident driven from the command line', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('CLI');
  const dir = path.join(ROOT, 'test/fixtures/runbooks/incidents');

  const opened = await signalroom('incident', 'open', '--runbook', 'lifecycle', '--runbooks-dir', dir, '--input', `incident.id=${id}`, '--input', 'incident.severity=SEV2', '--input', 'service=checkout', '--input', 'incident.title=Checkout errors', '--input', 'incident.description=Card payments failing', '--json');
  expect(opened.stderr).toBe('');
  expect(opened.code).toBe(0);
  expect(JSON.parse(opened.stdout)).toMatchObject({ incidentId: id, workflowId: `incident-${id}`, runbook: 'lifecycle' });

  const channel = await eventually('the incident channel', () => sandbox.channelByName(`incident-${id.toLowerCase()}`));
  await eventually('the updates thread', () => messagesWith(sandbox, channel.id, `Updates for incident ${id}`)[0]);

  const update = await signalroom('incident', 'update', id, 'Rolled back the gateway config', '--as', 'U0ALICE');
  expect(update.code).toBe(0);
  await eventually('the update in Slack', () => messagesWith(sandbox, channel.id, ':memo: *Update 1* from <@U0ALICE>: Rolled back the gateway config').length === 1);

  expect((await signalroom('incident', 'severity', id, 'SEV3', '--as', 'U0BOB')).code).toBe(0);
  await eventually('the severity change in Slack', () => messagesWith(sandbox, channel.id, 'Severity changed from *SEV2* to *SEV3*').length === 1);

  const status = await signalroom('incident', 'status', id);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(`incident-${id}: open, SEV3; runbook lifecycle; #incident-${id.toLowerCase()}`);
  // The person named, and the operator (user@host) who wrote as them straight against Temporal.
  expect(status.stdout).toMatch(/update\s+Rolled back the gateway config \(U0ALICE, operator \S+@\S+\)/);
  expect(status.stdout).toMatch(/severity\s+Severity SEV2 → SEV3 \(U0BOB, operator \S+@\S+\)/);

  expect((await signalroom('incident', 'resolve', id, '--summary', 'Config rollback', '--as', 'U0CAROL')).code).toBe(0);
  await eventually('the summary in Slack', () => messagesWith(sandbox, channel.id, `Incident ${id} resolved`).length === 1);
  // The last post-incident step archives the channel; then the incident is resolved.
  await eventually('the channel archived', () => sandbox.channel(channel.id)!.archived);
  await resolved(id);
  const json = JSON.parse((await signalroom('incident', 'status', id, '--json')).stdout);
  expect(json).toMatchObject({ status: 'resolved', resolvedBy: 'U0CAROL', updates: 1, incident: { severity: 'SEV3' } });
  expect(json.timeline.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(['opened', 'update', 'severity', 'resolved']));
});

test('runbook list names the valid runbooks of runbooks/ and reports an invalid one with file:line:column', async () => {
  const list = await signalroom('runbook', 'list');
  expect(list.code).toBe(0);
  expect(list.stdout.split('\n').map((l) => l.split(/\s+/)[0])).toEqual(expect.arrayContaining(['deploy-approval', 'seed-example', 'sev1-outage']));

  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-runbooks-'));
  writeFileSync(path.join(dir, 'good.yaml'), 'name: good\nsteps:\n  - Operation: Send Message\n    Channel: "#incidents"\n    Message: "[incident.id] opened"\n');
  writeFileSync(path.join(dir, 'typo.yaml'), 'name: typo\nsteps:\n  - Operation: Send Message\n    Channel: "#incidents"\n    Message: "[incident.sevrity] opened"\n');
  const broken = await signalroom('runbook', 'list', '--runbooks-dir', dir);
  expect(broken.code).toBe(1);
  expect(broken.stdout.trim().split(/\s+/)[0]).toBe('good');
  expect(broken.stderr).toMatch(/typo\.yaml:5:\d+ steps\[0\]\.Message: unknown placeholder \[incident\.sevrity\]/);

  // Opening with the invalid runbook says where it is broken; nothing reaches Temporal or Slack.
  const open = await signalroom('incident', 'open', '--runbook', 'typo', '--runbooks-dir', dir, '--input', 'incident.id=CLI-TYPO');
  expect(open.code).toBe(1);
  expect(open.stderr).toContain('no valid runbook named "typo"');
  expect(open.stderr).toMatch(/typo\.yaml:5:\d+ steps\[0\]\.Message/);
  expect(slack.sandbox.calls().filter((c) => JSON.stringify(c.args).includes('CLI-TYPO'))).toEqual([]);
});

test('refusals: an unknown incident, a missing incident.id, an unknown runbook', async () => {
  const unknown = await signalroom('incident', 'update', 'NO-SUCH-INCIDENT', 'hello');
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('No open incident NO-SUCH-INCIDENT');

  const noId = await signalroom('incident', 'open', '--runbook', 'seed-example', '--input', 'incident.severity=SEV1');
  expect(noId.code).toBe(64);
  expect(noId.stderr).toContain('incident.id');

  const noRunbook = await signalroom('incident', 'open', '--runbook', 'nope', '--input', 'incident.id=X');
  expect(noRunbook.code).toBe(1);
  expect(noRunbook.stderr).toContain('no valid runbook named "nope" in runbooks (valid: deploy-approval, seed-example, sev1-outage)');
});

test('incident task add|done|list and incident postmortem: action items and the postmortem from the command line', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('CLITASK');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-task-runbooks-'));
  writeFileSync(
    path.join(dir, 'tasks.yaml'),
    [
      'name: tasks',
      'inputs: [incident.id, incident.title]',
      'steps:',
      '  - Operation: Create Channel',
      '    Name: "incident-[incident.id]"',
      '  - Operation: Add Action Item',
      '    Text: "Roll back config 1234"',
      '    Owner: "U0ALICE"',
      '',
    ].join('\n'),
  );
  const opened = await signalroom('incident', 'open', '--runbook', 'tasks', '--runbooks-dir', dir, '--input', `incident.id=${id}`, '--input', 'incident.title=Gateway timeouts');
  expect({ code: opened.code, stderr: opened.stderr }).toEqual({ code: 0, stderr: '' });
  const channel = await eventually('the incident channel', () => sandbox.channelByName(`incident-${id.toLowerCase()}`));
  await eventually('the runbook’s item', () => messagesWith(sandbox, channel.id, 'Action item #1')[0]);

  const added = await signalroom('incident', 'task', 'add', id, 'Add an alert on <gateway> timeouts', '--owner', 'carol@example.com', '--as', 'U0BOB');
  expect(added).toEqual({ code: 0, stdout: `Action item #2 added to incident-${id}\n`, stderr: '' });
  expect(messagesWith(sandbox, channel.id, 'Action item #2').map((m) => m.text)).toEqual([':ballot_box_with_check: Action item #2 Add an alert on &lt;gateway&gt; timeouts (owner <@U0CAROL>)']);

  const unknownOwner = await signalroom('incident', 'task', 'add', id, 'Call the vendor', '--owner', '@bobb');
  expect(unknownOwner).toEqual({ code: 1, stdout: '', stderr: 'signalroom: Owner "@bobb" matches no Slack user or user group: name the owner by Slack user ID, email or @handle (a person or a user group)\n' });

  expect(await signalroom('incident', 'task', 'done', id, '#1', '--as', 'U0ALICE')).toEqual({ code: 0, stdout: 'Action item #1 done\n', stderr: '' });
  await eventually('item 1 done in Slack', () => sandbox.message(channel.id, messagesWith(sandbox, channel.id, 'Action item ~#1')[0]?.ts ?? '')?.text.startsWith(':white_check_mark:'));
  const again = await signalroom('incident', 'task', 'done', id, '1');
  expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 1, stderr: 'signalroom: action item #1 is already done (by U0ALICE)\n' });
  const notANumber = await signalroom('incident', 'task', 'done', id, 'first');
  expect({ code: notANumber.code, stderr: notANumber.stderr }).toEqual({ code: 64, stderr: 'signalroom: "first" is not an action item number like 2\n' });

  // Open first, then done; nothing was recorded for the refused owner.
  const list = await signalroom('incident', 'task', 'list', id);
  expect(list).toEqual({
    code: 0,
    stdout: `#2 [ ] Add an alert on <gateway> timeouts (owner carol@example.com)\n#1 [x] Roll back config 1234 (owner U0ALICE) — done by U0ALICE\n`,
    stderr: '',
  });
  const json = JSON.parse((await signalroom('incident', 'task', 'list', id, '--json')).stdout);
  expect(json.map((i: { id: number; owner: string; ownerId?: string; status: string }) => [i.id, i.owner, i.ownerId, i.status])).toEqual([
    [1, 'U0ALICE', 'U0ALICE', 'done'],
    [2, 'carol@example.com', 'U0CAROL', 'open'],
  ]);

  expect((await signalroom('incident', 'resolve', id, '--summary', 'Gateway config rolled back', '--as', 'U0CAROL')).code).toBe(0);
  await resolved(id);
  expect(JSON.parse((await signalroom('incident', 'status', id, '--json')).stdout).status).toBe('resolved');

  const postmortem = await signalroom('incident', 'postmortem', id);
  expect({ code: postmortem.code, stderr: postmortem.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = postmortem.stdout.split('\n');
  expect(lines[0]).toBe(`# Postmortem: ${id}: Gateway timeouts`);
  expect(lines).toEqual(
    expect.arrayContaining([
      '## Summary',
      '- Runbook: tasks',
      expect.stringMatching(/^- Resolved: \S+ by Carol Chen$/),
      '- Resolution: Gateway config rolled back',
      expect.stringMatching(/^- Time to resolve: (\d+m )?\d+s$/),
      expect.stringMatching(/^- \S+ — Step: Create Channel #incident-\S+: done$/),
      expect.stringMatching(/^- \S+ — Action item: Action item #2 added: Add an alert on \\<gateway\\> timeouts \(owner Carol Chen\) \(Bob Baker\)$/),
      '## Action items',
      expect.stringMatching(/^- \[x\] #1 Roll back config 1234 \(owner Alice Archer\) — done by Alice Archer at \S+$/),
      '- [ ] #2 Add an alert on \\<gateway\\> timeouts (owner Carol Chen) — open',
    ]),
  );
  expect(postmortem.stdout).not.toContain('Call the vendor');

  const missing = await signalroom('incident', 'postmortem', 'NO-SUCH-INCIDENT');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^signalroom: .*NO-SUCH-INCIDENT/);
});
