/**
 * The incident commands through the HTTP API (`--api URL --token T`), with no
 * Temporal address in the environment: what a tool runs when it can reach the
 * Signalroom server but not Temporal. The server reads its own runbook folder.
 */
import { testNamespace, testTemporalAddress } from '../../support/temporal';
import { runSignalroom } from '../../support/ops';
import { eventually, incidentApiStack, messagesWith, uniqueIncidentId, type IncidentApiStack } from '../../support/incidents';

const TOKEN = 'incident-cli-token-0123456789abcdef';
const READ_ONLY = 'incident-cli-read-0123456789abcdef';

let stack: IncidentApiStack;
let url: string;

beforeAll(async () => {
  stack = await incidentApiStack([
    { name: 'ops', token: TOKEN, permissions: ['incidents:read', 'incidents:write', 'incidents:write-as-anyone'] }, // --as names alice, bob and carol
    { name: 'dashboard', token: READ_ONLY, permissions: ['incidents:read'] },
  ]);
  url = await stack.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await stack?.close();
});

/** The CLI with neither Temporal nor a configuration in its environment: only the API can do it. */
const signalroom = (...args: string[]) => runSignalroom(args, { env: { TEMPORAL_ADDRESS: undefined, SIGNALROOM_CONFIG: undefined } });

test('open, update, severity, status and resolve through the API', async () => {
  const { sandbox } = stack.slack;
  const id = uniqueIncidentId('API');
  const api = ['--api', url, '--token', TOKEN];

  const opened = await signalroom('incident', 'open', '--runbook', 'lifecycle', '--input', `incident.id=${id}`, '--input', 'incident.severity=SEV2', '--input', 'service=checkout', '--input', 'incident.title=Checkout errors', '--input', 'incident.description=Card payments failing', '--json', ...api);
  expect(opened.stderr).toBe('');
  expect(opened.code).toBe(0);
  expect(JSON.parse(opened.stdout)).toMatchObject({ incidentId: id, workflowId: `incident-${id}`, runbook: 'lifecycle' });

  const channel = await eventually('the incident channel', () => sandbox.channelByName(`incident-${id.toLowerCase()}`));
  await eventually('the updates thread', () => messagesWith(sandbox, channel.id, `Updates for incident ${id}`)[0]);

  expect(await signalroom('incident', 'update', id, 'Rolled back the gateway config', '--as', 'U0ALICE', ...api)).toMatchObject({ code: 0, stdout: `Update sent to incident-${id}\n` });
  await eventually('the update in Slack', () => messagesWith(sandbox, channel.id, ':memo: *Update 1* from <@U0ALICE>: Rolled back the gateway config').length === 1);

  expect((await signalroom('incident', 'severity', id, 'SEV3', '--as', 'U0BOB', ...api)).code).toBe(0);
  await eventually('the severity change in Slack', () => messagesWith(sandbox, channel.id, 'Severity changed from *SEV2* to *SEV3*').length === 1);

  const status = await signalroom('incident', 'status', id, ...api);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(`incident-${id}: open, SEV3; runbook lifecycle; #incident-${id.toLowerCase()}`);
  // The timeline names the person and the token that wrote as them.
  expect(status.stdout).toMatch(/update\s+Rolled back the gateway config \(U0ALICE, token ops\)/);

  expect((await signalroom('incident', 'resolve', id, '--summary', 'Config rollback', '--as', 'U0CAROL', ...api)).code).toBe(0);
  await eventually('the summary in Slack', () => messagesWith(sandbox, channel.id, `Incident ${id} resolved`).length === 1);
  // Polled through the API in this process (a command line per poll would cost a process each), then read once as a user would.
  await eventually('the resolved state', async () => (await stack.app.inject({ url: `/api/v1/incidents/${id}`, headers: { authorization: `Bearer ${TOKEN}` } })).json().status === 'resolved');
  const state = JSON.parse((await signalroom('incident', 'status', id, '--json', ...api)).stdout);
  expect(state).toMatchObject({ status: 'resolved', resolvedBy: 'U0CAROL', updates: 1, incident: { severity: 'SEV3' } });
});

test('refusals say why and exit 1: an unknown runbook, an unknown incident, a token without the permission; no token is a usage error', async () => {
  const unknownRunbook = await signalroom('incident', 'open', '--runbook', 'no-such-runbook', '--input', 'incident.id=API-X', '--api', url, '--token', TOKEN);
  expect(unknownRunbook.code).toBe(1);
  expect(unknownRunbook.stderr).toMatch(/no-such-runbook/);

  const unknownIncident = await signalroom('incident', 'update', 'NO-SUCH-INCIDENT', 'hello', '--api', url, '--token', TOKEN);
  expect(unknownIncident.code).toBe(1);
  expect(unknownIncident.stderr).toMatch(/NO-SUCH-INCIDENT/);

  const readOnly = await signalroom('incident', 'resolve', 'API-X', '--api', url, '--token', READ_ONLY);
  expect(readOnly.code).toBe(1);
  expect(readOnly.stderr).toMatch(/incidents:write/);

  const noToken = await signalroom('incident', 'status', 'API-X', '--api', url);
  expect(noToken.code).toBe(64);
  expect(noToken.stderr).toContain('--api needs a token');

  const localFiles = await signalroom('incident', 'open', '--runbook', 'lifecycle', '--input', 'incident.id=API-X', '--runbooks-dir', 'runbooks', '--api', url, '--token', TOKEN);
  expect(localFiles.code).toBe(64);
  expect(localFiles.stderr).toContain('through the API the server uses its own runbooks');
});

test('SIGNALROOM_API_URL in the environment sends the commands through the API; --no-api talks to Temporal', async () => {
  const env = { SIGNALROOM_API_URL: url, TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: testNamespace(), SIGNALROOM_API_TOKEN: undefined, SIGNALROOM_CONFIG: undefined };

  const noToken = await runSignalroom(['incident', 'status', 'API-NOPE'], { env });
  expect(noToken.code).toBe(64);
  expect(noToken.stderr).toContain('SIGNALROOM_API_URL is set, so this command goes through the API');

  const direct = await runSignalroom(['incident', 'status', 'API-NOPE', '--no-api'], { env });
  expect(direct.code).toBe(1);
  expect(direct.stderr).toMatch(/API-NOPE/);
  expect(direct.stderr).not.toContain('token');
});
