/**
 * Document action items: a runbook step, the API and the CLI's service add
 * them; each is posted with a Done button that only the people the incident
 * added (or a responder) can press; reminders name the open ones and the resolve summary
 * lists them. Everything asserted is what people see in the sandbox and
 * what the API answers.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../src/server/app';
import { featureApiRoutes, featureInteractionRoutes } from '../../../src/server/features';
import { IncidentService } from '../../../src/incidents/service';
import { openIncident } from '../../../src/incidents/client';
import { TASK_DONE_ACTION } from '../../../core/slack/blocks/action-item';
import { incidentResolveSignal, incidentStateQuery } from '../../../workflows/messages';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { SANDBOX_PAGE_HEADER } from '../../../src/sandbox/page/routes';
import { rememberSecrets } from '../../support/slack';
import { eventually, incidentSlack, messagesWith, runbookFrom, uniqueIncidentId, type IncidentSlack } from '../../support/incidents';

const TOKEN = 'incident-tasks-token-0123456789';
let slack: IncidentSlack;
let client: Client;
let w: RunningWorker;
let server: FastifyInstance;

beforeAll(async () => {
  slack = await incidentSlack();
  rememberSecrets(TOKEN);
  w = await runningWorker({ activityDeps: { integrations: slack.integrations } });
  client = w.client;
  server = await buildServer({
    temporal: client,
    logger: false,
    metrics: { defaultMetrics: false },
    signingSecrets: [slack.sandbox.signingSecret],
    interactionRoutes: featureInteractionRoutes(),
    slack: { integrations: slack.integrations },
    apiTokens: [{ name: 'ops', token: TOKEN, permissions: ['incidents:write', 'incidents:read', 'incidents:write-as-anyone'] }], // names bob and carol as the people who add and close items
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: w.taskQueue }),
  });
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  slack.sandbox.setRequestUrl(`${url}/slack/interactions`);
});
afterAll(async () => {
  await server?.close();
  await w?.stop();
  await slack?.close();
});

const runbook = runbookFrom(`
name: tasks
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
    AddUsers: ["U0ALICE"]
  - Operation: Add Action Item
    Id: rollback
    Text: "Roll back config change 1234"
    Owner: "U0ALICE"
onResolve:
  - Operation: Send Message
    Message: "[resolution.summary]"
  - Operation: Create Postmortem
    Id: postmortem
reminders:
  every: 3s
  message: ":alarm_clock: No update on [incident.id]"
`);

test('a step, the API and the service add items; Done only for channel members; reminders and the summary name the open ones', async () => {
  const { sandbox } = slack;
  const id = uniqueIncidentId('TASK');
  const handle = await openIncident(client, runbook, { 'incident.id': id }, w.taskQueue);
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  const channelId = opened.incident.channelId!;

  // The step's item: posted with its owner and a Done button.
  const first = messagesWith(sandbox, channelId, 'Action item #1')[0];
  expect(first.text).toBe(':ballot_box_with_check: Action item #1 Roll back config change 1234 (owner <@U0ALICE>)');
  expect(first.blocks).toContainEqual(expect.objectContaining({ accessory: expect.objectContaining({ type: 'button', action_id: TASK_DONE_ACTION, text: expect.objectContaining({ text: 'Done' }) }) }));
  expect(opened.steps.rollback).toMatchObject({ item: '1', ts: first.ts });

  // Through the API, and through the service the CLI uses.
  const added = await server.inject({ method: 'POST', url: `/api/v1/incidents/${id}/tasks`, headers: { authorization: `Bearer ${TOKEN}` }, payload: { text: 'Add an alert on <gateway> timeouts', owner: '@sre-team', by: 'U0BOB' } });
  expect(added.statusCode).toBe(201);
  expect(added.json()).toMatchObject({ id: 2, status: 'open', owner: '@sre-team', ownerId: 'S0SRETEAM' });
  const third = await new IncidentService(client, w.taskQueue, []).task(id, { action: 'add', text: 'Write the postmortem', by: 'U0CAROL' });
  expect(third.id).toBe(3);
  // Text from people is data: the <gateway> is shown, not parsed as a link.
  expect(messagesWith(sandbox, channelId, 'Action item #2')[0].text).toBe(':ballot_box_with_check: Action item #2 Add an alert on &lt;gateway&gt; timeouts (owner <!subteam^S0SRETEAM>)');

  // Erin is no responder and the incident did not add her: her Done is refused, the item stays open with its button.
  const refused = await sandbox.click({ userId: 'U0ERIN', channelId, messageTs: first.ts, actionId: TASK_DONE_ACTION });
  expect(refused.response.status).toBe(200);
  await eventually('Erin to be told why', () => sandbox.ephemerals({ channelId, userId: 'U0ERIN' }).find((e) => e.text.includes(`someone the incident added may close action items of ${id}`)));
  expect((await handle.query(incidentStateQuery)).actionItems![0].status).toBe('open');

  // Alice is: the item is done, its message says so and loses the button.
  await sandbox.click({ userId: 'U0ALICE', channelId, messageTs: first.ts, actionId: TASK_DONE_ACTION });
  await eventually('item 1 done in Slack', () => sandbox.message(channelId, first.ts)!.text.startsWith(':white_check_mark:'));
  const closed = sandbox.message(channelId, first.ts)!;
  expect(closed.text).toBe(':white_check_mark: Action item ~#1 Roll back config change 1234 (owner <@U0ALICE>)~ done by <@U0ALICE>');
  expect(JSON.stringify(closed.blocks)).not.toContain(TASK_DONE_ACTION);

  // Closing by number through the API; a second close is refused with the reason.
  const done = await server.inject({ method: 'POST', url: `/api/v1/incidents/${id}/tasks/3/done`, headers: { authorization: `Bearer ${TOKEN}` }, payload: { by: 'U0CAROL' } });
  expect(done.statusCode).toBe(200);
  const again = await server.inject({ method: 'POST', url: `/api/v1/incidents/${id}/tasks/3/done`, headers: { authorization: `Bearer ${TOKEN}` }, payload: {} });
  expect(again.statusCode).toBe(422);
  expect(again.json().message).toContain('action item #3 is already done');
  const list = await server.inject({ method: 'GET', url: `/api/v1/incidents/${id}/tasks`, headers: { authorization: `Bearer ${TOKEN}` } });
  expect(list.json().tasks.map((t: { id: number; status: string }) => `${t.id}:${t.status}`)).toEqual(['1:done', '2:open', '3:done']);

  // The next reminder names the open item.
  // The next reminder names the one open item (earlier ones named all three).
  await eventually('a reminder naming only the open item', () =>
    messagesWith(sandbox, channelId, `No update on ${id}`).find((m) => m.text.endsWith('\nOpen action items: #2 Add an alert on &lt;gateway&gt; timeouts (owner <!subteam^S0SRETEAM>).')),
  );

  await handle.signal(incidentResolveSignal, { summary: 'fixed' });
  const result = await handle.result();
  // The resolve summary counts them and names the one still open.
  const summary = messagesWith(sandbox, channelId, 'resolved after')[0];
  expect(summary.text).toContain('Action items: 2 of 3 done.');
  expect(summary.text).toContain('Open action items: #2 Add an alert on &lt;gateway&gt; timeouts (owner <!subteam^S0SRETEAM>).');
  expect(result.actionItems!.filter((i) => i.status === 'open').map((i) => i.id)).toEqual([2]);

  // Lessons learned: the postmortem is the channel's canvas, and its link is posted.
  const [canvas] = sandbox.canvases(channelId);
  expect(canvas.title).toBe(`Postmortem: ${id}`);
  expect(canvas.markdown).toContain(`# Postmortem: ${id}`);
  // People are canvas mentions, which Slack shows as the person (and the group by its handle).
  expect(canvas.markdown).toContain('- [x] #1 Roll back config change 1234 (owner ![](@U0ALICE)) — done by ![](@U0ALICE)');
  expect(canvas.markdown).toContain('- [ ] #2 Add an alert on \\<gateway\\> timeouts (owner @sre-team) — open');
  expect(canvas.markdown).toMatch(/- Time to resolve: /);
  expect(canvas.markdown).toContain('Action item: Action item #1 done: Roll back config change 1234 (![](@U0ALICE))');
  const link = messagesWith(sandbox, channelId, ':memo: Postmortem: <')[0];
  expect(link.text).toContain(`/docs/${'T0SANDBOX'}/${canvas.id}|Postmortem: ${id}>`);
  expect(result.steps.postmortem).toMatchObject({ canvasId: canvas.id });
  // The sandbox page shows the canvas in the channel.
  const page = (await (await fetch(`${sandbox.url}/_sandbox/state?user=U0ALICE`, { headers: { [SANDBOX_PAGE_HEADER]: '1' } })).json()) as { channels: Array<{ id: string; canvases: Array<{ title: string; markdown: string }> }> };
  expect(page.channels.find((c) => c.id === channelId)!.canvases).toEqual([{ id: canvas.id, title: `Postmortem: ${id}`, markdown: canvas.markdown }]);

  // The same record as Markdown through the API (and the CLI, which calls the same service).
  const pm = await server.inject({ method: 'GET', url: `/api/v1/incidents/${id}/postmortem`, headers: { authorization: `Bearer ${TOKEN}` } });
  expect(pm.statusCode).toBe(200);
  expect(pm.headers['content-type']).toContain('text/markdown');
  expect(pm.body).toContain(`# Postmortem: ${id}`);
  expect(pm.body).toContain('- Resolution: fixed');
  expect(pm.body).toContain('- [ ] #2 Add an alert');
});

test('owners are looked up in Slack and shown as mentions; a runbook keeps an unknown owner as written with a problem, a person is refused', async () => {
  const { sandbox } = slack;
  const owners = runbookFrom(`
name: task-owners
steps:
  - Operation: Create Channel
    Name: "incident-[incident.id]"
  - Operation: Add Action Item
    Text: "Page the database team"
    Owner: "alice@example.com"
  - Operation: Add Action Item
    Text: "Check the dashboards"
    Owner: "@sre-team"
  - Operation: Add Action Item
    Text: "Write to the vendor"
    Owner: "@nobody-here"
`);
  const id = uniqueIncidentId('OWNER');
  const handle = await openIncident(client, owners, { 'incident.id': id }, w.taskQueue);
  const opened = await eventually('the incident to open', async () => {
    const s = await handle.query(incidentStateQuery);
    return s.status === 'open' && s;
  });
  const channelId = opened.incident.channelId!;
  expect(messagesWith(sandbox, channelId, 'Action item #').map((m) => m.text)).toEqual([
    ':ballot_box_with_check: Action item #1 Page the database team (owner <@U0ALICE>)',
    ':ballot_box_with_check: Action item #2 Check the dashboards (owner <!subteam^S0SRETEAM>)',
    ':ballot_box_with_check: Action item #3 Write to the vendor (owner @nobody-here)',
  ]);
  expect(opened.actionItems!.map((i) => [i.owner, i.ownerId])).toEqual([
    ['alice@example.com', 'U0ALICE'],
    ['@sre-team', 'S0SRETEAM'],
    ['@nobody-here', undefined],
  ]);
  expect(opened.timeline.filter((e) => e.kind === 'error').map((e) => e.text)).toEqual([
    'Action item #3: Owner "@nobody-here" matches no Slack user or user group; it is shown with the owner as written',
  ]);

  // Through the API a person is there to correct it: refused with the value named, nothing recorded.
  const refused = await server.inject({ method: 'POST', url: `/api/v1/incidents/${id}/tasks`, headers: { authorization: `Bearer ${TOKEN}` }, payload: { text: 'Roll back', owner: '@bobb' } });
  expect(refused.statusCode).toBe(422);
  expect(refused.json().message).toBe('Owner "@bobb" matches no Slack user or user group: name the owner by Slack user ID, email or @handle (a person or a user group)');
  const added = await server.inject({ method: 'POST', url: `/api/v1/incidents/${id}/tasks`, headers: { authorization: `Bearer ${TOKEN}` }, payload: { text: 'Roll back', owner: 'bob' } });
  expect(added.statusCode).toBe(201);
  expect(added.json()).toMatchObject({ id: 4, owner: 'bob', ownerId: 'U0BOB' });
  expect(messagesWith(sandbox, channelId, 'Action item #4')[0].text).toBe(':ballot_box_with_check: Action item #4 Roll back (owner <@U0BOB>)');
  expect(messagesWith(sandbox, channelId, 'Action item #').length).toBe(4);
  await handle.terminate('owners test finished');
});
