/**
 * Attack: open an incident with the inputs the engine sets itself —
 * `incident.channelId=C0GENERAL`, `incident.channel=general` — so that its
 * updates go to #general and every #general member counts as being in the
 * incident's channel.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { loadRunbookCatalog } from '../../../src/incidents/service';
import type { incident } from '../../../workflows/incident/workflow';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

const TOKEN = 'reserved-inputs-token-0123456789';
const RUNBOOKS = path.resolve(__dirname, '../../../runbooks');
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ apiTokens: [{ name: 'runner', token: TOKEN, permissions: ['runbooks:run', 'incidents:read', 'incidents:write'] }] });
});
afterAll(() => s?.close());

const inputs = (id: string) => ({ 'incident.id': id, 'incident.severity': 'SEV2', 'incident.service': 'checkout', 'incident.description': 'Payments failing', 'incident.channelId': 'C0GENERAL', 'incident.channel': 'general' });
const generalMessages = () => s.sandbox.messages('C0GENERAL').length;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; err: string }> {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve) => child.on('close', (c) => resolve({ code: c ?? -1, err })));
}

async function notStarted(id: string) {
  await expect(s.client.workflow.getHandle(`incident-${id}`).describe()).rejects.toThrow(/not found/i);
}

test('the API refuses engine-set inputs with 422 naming them, and starts nothing', async () => {
  const before = generalMessages();
  const id = `RSV-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/runbooks/seed-example/runs', TOKEN, { inputs: inputs(id) });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ error: 'reserved_input', field: 'inputs' });
  expect(String(res.body.message)).toContain('incident.channel, incident.channelId are set by the runbook itself');
  const viaIncidents = await s.api('POST', '/incidents', TOKEN, { runbook: 'seed-example', inputs: { 'incident.id': id, channelLink: '<#C0GENERAL>' } });
  expect(viaIncidents.status).toBe(422);
  expect(String(viaIncidents.body.message)).toContain('incident.channelLink is set by the runbook itself');
  await notStarted(id);
  expect(generalMessages()).toBe(before);
});

test('the CLI refuses them with exit 64, straight against Temporal and through the API', async () => {
  const id = `RSVCLI-${Date.now().toString(36)}`;
  const args = ['incident', 'open', '--runbook', 'seed-example', ...Object.entries(inputs(id)).flatMap(([k, v]) => ['--input', `${k}=${v}`])];
  const direct = await cli([...args, '--runbooks-dir', RUNBOOKS, '--no-api']);
  expect(direct.code).toBe(64);
  expect(direct.err).toContain('incident.channel, incident.channelId are set by the runbook itself');
  const viaApi = await cli([...args, '--api', s.serverUrl, '--token', TOKEN]);
  expect(viaApi.code).toBe(64);
  expect(viaApi.err).toContain('incident.channel, incident.channelId are set by the runbook itself');
  await notStarted(id);
}, 60_000);

test('the workflow refuses them too: a run started with them fails naming them, and posts nothing', async () => {
  const before = generalMessages();
  const runbook = (await loadRunbookCatalog([RUNBOOKS])).runbooks.get('seed-example')!;
  const id = `RSVWF-${Date.now().toString(36)}`;
  const handle = await s.client.workflow.start<typeof incident>('incident', {
    taskQueue: s.worker.taskQueue,
    workflowId: `incident-${id}`,
    args: [{ runbook, incident: { id, severity: 'SEV2', service: 'checkout', description: 'x', channelId: 'C0GENERAL', channel: 'general' } }],
  });
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(String((failure as WorkflowFailedError).cause?.message)).toContain('incident.channel, incident.channelId are set by the runbook itself');
  await eventually('the run closed', async () => (await handle.describe()).status.name === 'FAILED');
  expect(generalMessages()).toBe(before);
}, 60_000);
