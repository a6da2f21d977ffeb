/**
 * The postmortem names people, as its readers know them. The canvas in
 * Slack mentions them (`![](@U…)`, which Slack shows as the person, and
 * keeps current when they rename); the Markdown from the API and the CLI,
 * read outside Slack, carries their names as Slack's directory had them
 * while the incident ran. Neither shows a bare Slack user id.
 */
import type { Client } from '@temporalio/client';
import { IncidentService } from '../../../src/incidents/service';
import { openIncident } from '../../../src/incidents/client';
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
name: named
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
    AddUsers: ["U0ALICE"]
  - Operation: Add Action Item
    Text: "Roll back config change 1234"
    Owner: "U0ALICE"
  - Operation: Add Action Item
    Text: "Check the dashboards"
    Owner: "@sre-team"
onResolve:
  - Operation: Create Postmortem
`);

/** Slack user ids left as text: what a reader would see as "U0CAROL". */
const bareIds = (markdown: string) => markdown.replace(/!\[\]\(@[UW][A-Z0-9]+\)/g, '').match(/\b[UWS]0[A-Z0-9]{2,}\b/g) ?? [];

test('the postmortem says who did what by name: mentions on the canvas, names from the API and the CLI', async () => {
  const id = uniqueIncidentId('NAMES');
  const service = new IncidentService(client, w.taskQueue, []);
  const handle = await openIncident(client, runbook, { 'incident.id': id }, w.taskQueue, 'U0BOB');
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  await service.update(id, 'Rolled back the deploy', 'U0DAVE');
  await service.setSeverity(id, 'SEV1', 'U0DAVE');
  await service.task(id, { action: 'done', item: 1, by: 'U0ALICE' });
  await service.resolve(id, 'U0CAROL', 'Config restored');
  await handle.result();

  // What the API and the CLI print (both call this service).
  const markdown = await service.postmortem(id);
  expect(markdown).toMatch(/^- Resolved: \S+ by Carol Chen$/m);
  expect(markdown).toMatch(/^- \S+ — Opened: Incident opened with runbook named \(Bob Baker\)$/m);
  expect(markdown).toMatch(/^- \S+ — Update: Rolled back the deploy \(Dave Diaz\)$/m);
  expect(markdown).toMatch(/^- \[x\] #1 Roll back config change 1234 \(owner Alice Archer\) — done by Alice Archer at \S+$/m);
  expect(markdown).toContain('- [ ] #2 Check the dashboards (owner @sre-team) — open');
  expect(bareIds(markdown)).toEqual([]);

  // The canvas in the incident channel: people are mentions, shown by Slack as the person.
  const [canvas] = slack.sandbox.canvases(opened.incident.channelId!);
  expect(canvas.markdown).toMatch(/^- Resolved: \S+ by !\[\]\(@U0CAROL\)$/m);
  expect(canvas.markdown).toMatch(/^- \[x\] #1 Roll back config change 1234 \(owner !\[\]\(@U0ALICE\)\) — done by !\[\]\(@U0ALICE\) at \S+$/m);
  expect(canvas.markdown).toContain('- [ ] #2 Check the dashboards (owner @sre-team) — open');
  expect(bareIds(canvas.markdown)).toEqual([]);
});
