/**
 * After a resolve, an action item still open must not keep a Done button
 * that can only answer "already finished": the resolve updates its message
 * to say the incident was resolved with the item open, without the button.
 * An item done before stays as it was. What is asserted is the messages
 * people see in the sandbox.
 */
import type { Client } from '@temporalio/client';
import { IncidentService } from '../../../src/incidents/service';
import { openIncident } from '../../../src/incidents/client';
import { TASK_DONE_ACTION } from '../../../core/slack/blocks/action-item';
import { incidentStateQuery } from '../../../workflows/messages';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { eventually, incidentSlack, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

let slack: IncidentSlack;
let client: Client;
let w: RunningWorker;

beforeAll(async () => {
  slack = await incidentSlack();
  w = await runningWorker({ activityDeps: { integrations: slack.integrations } });
  client = w.client;
});
afterAll(async () => {
  await w?.stop();
  await slack?.close();
});

const runbook = runbookFrom(`
name: items-at-resolve
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
    AddUsers: ["U0ALICE"]
  - Operation: Add Action Item
    Text: "Roll back config change 1234"
    Owner: "U0ALICE"
  - Operation: Add Action Item
    Text: "Add an alert on gateway timeouts"
    Owner: "@sre-team"
`);

test('resolving updates each open action item: no Done button, and it says the incident was resolved with it open', async () => {
  const id = uniqueIncidentId('OPENITEMS');
  const service = new IncidentService(client, w.taskQueue, []);
  const handle = await openIncident(client, runbook, { 'incident.id': id }, w.taskQueue, 'U0ALICE');
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  const [first, second] = opened.actionItems!;
  const channel = opened.incident.channelId!;
  await service.task(id, { action: 'done', item: 1, by: 'U0ALICE' });
  const doneText = slack.sandbox.message(channel, first.ts!)!.text;
  expect(doneText).toMatch(/^:white_check_mark: /);

  await service.resolve(id, 'U0ALICE', 'Config restored');
  const result = await handle.result();

  const open = slack.sandbox.message(channel, second.ts!)!;
  expect(open.text).toBe(':ballot_box_with_check: Action item #2 Add an alert on gateway timeouts (owner <!subteam^S0SRETEAM>) — still open when the incident was resolved');
  expect(JSON.stringify(open.blocks)).not.toContain(TASK_DONE_ACTION);
  // The item done before the resolve is left as it was.
  expect(slack.sandbox.message(channel, first.ts!)!.text).toBe(doneText);
  expect(result.actionItems!.map((i) => i.status)).toEqual(['done', 'open']);
  expect(result.timeline.filter((e) => e.kind === 'error')).toEqual([]);
});
