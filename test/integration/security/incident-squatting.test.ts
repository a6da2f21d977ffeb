/**
 * Attack: open the incident id a real alert will use, first, with a harmless
 * runbook at a low severity, so the real alert joins it: one incident, the
 * squatter's runbook and severity, no outage channel, no responders paged.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { incidentStateQuery } from '../../../workflows/messages';
import { eventually, securityStack, type SecurityStack } from '../../support/security';

const TOKEN = 'incident-squatter-token-01234567';
let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ apiTokens: [{ name: 'squatter', token: TOKEN, permissions: ['runbooks:run', 'incidents:read', 'incidents:write'] }] });
});
afterAll(() => s?.close());

const squat = (id: string) => ({ 'incident.id': id, 'incident.severity': 'SEV4', 'incident.service': 'checkout', 'incident.description': 'Checkout latency' });
const alert = (id: string) => ({
  ...squat(id),
  'incident.severity': 'SEV1',
  'incident.title': 'Checkout down',
  'incident.dashboard': 'https://grafana.example.com/d/checkout',
  'incident.graph': 'https://grafana.example.com/render/d-solo/checkout?panelId=2',
});

test('the real alert does not join a squatted incident: 409 naming what differs, CLI exit 1; the same request joins', async () => {
  const id = `SQ-${Date.now().toString(36)}`;
  const first = await s.api('POST', '/runbooks/seed-example/runs', TOKEN, { inputs: squat(id) });
  expect(first.status).toBe(201);
  const workflowId = String(first.body.workflowId);

  const real = await s.api('POST', '/runbooks/sev1-outage/runs', TOKEN, { inputs: alert(id) });
  expect(real.status).toBe(409);
  expect(real.body).toMatchObject({ error: 'conflict', fields: ['incident.dashboard', 'incident.graph', 'incident.severity', 'incident.title', 'runbook'] });
  expect(String(real.body.message)).toContain(`incident ${id} is already open with a different request (incident.dashboard, incident.graph, incident.severity, incident.title, runbook differ)`);
  // Through POST /incidents too.
  const viaIncidents = await s.api('POST', '/incidents', TOKEN, { runbook: 'seed-example', inputs: { ...squat(id), 'incident.severity': 'SEV1' } });
  expect(viaIncidents).toMatchObject({ status: 409, body: { error: 'conflict', fields: ['incident.severity'] } });

  // The alert's CLI step straight against Temporal: refused, exit 1, nothing joined.
  const cli = spawn(
    process.execPath,
    [path.resolve(__dirname, '../../../bin/signalroom.js'), 'incident', 'open', '--runbook', 'sev1-outage', '--runbooks-dir', path.resolve(__dirname, '../../../runbooks'), '--no-api', ...Object.entries(alert(id)).flatMap(([k, v]) => ['--input', `${k}=${v}`])],
    { env: { ...process.env, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  cli.stderr.on('data', (c) => (err += c));
  const code = await new Promise<number>((resolve) => cli.on('close', (c) => resolve(c ?? -1)));
  expect(code).toBe(1);
  expect(err).toContain('incident.dashboard, incident.graph, incident.severity, incident.title, runbook differ');

  // A repeated alert with the same request joins the running incident.
  const again = await s.api('POST', '/runbooks/seed-example/runs', TOKEN, { inputs: squat(id) });
  expect(again).toMatchObject({ status: 201, body: { workflowId } });
  const st = await eventually('the incident open', async () => {
    const state = await s.client.workflow.getHandle(workflowId).query(incidentStateQuery);
    return state.status === 'open' && state;
  });
  expect(st.runbook).toBe('seed-example');
  expect(st.incident.severity).toBe('SEV4');
  expect(st.timeline.filter((e) => e.kind === 'opened')).toHaveLength(1);
}, 60_000);
