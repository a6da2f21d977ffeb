/**
 * Freeze windows on a real stack: the API and the CLI start freeze
 * workflows on the worker (its bundle loads croner and luxon), the hold
 * board (`signalroom:holds`) reports what they hold for their stages and
 * services only, ending one lifts it, and windows across a clock change are
 * listed in their zone and in UTC. The file has a namespace of its own, so
 * the hold board is this file's.
 */
import { holdBoardQuery, type HoldBoardView } from '../../../workflows/messages';
import { holdBoardId } from '../../../workflows/holds/board';
import { holdsFor } from '../../../core/holds/match';
import { isolatedNamespace, testTemporalAddress } from '../../support/temporal';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { eventually } from '../../support/eventually';
import { runSignalroom } from '../../support/ops';
import { rememberSecrets } from '../../support/slack';

const OPS = 'freeze-ops-token-0123456789abcdef';
let s: ServerStack;
let namespace: string;
beforeAll(async () => {
  namespace = await isolatedNamespace('freezes');
  rememberSecrets(OPS);
  s = await serverStack(() => ({ api: { tokens: [{ name: 'release-ops', token: OPS, permissions: ['freezes:read', 'freezes:write'], slackUser: 'U0ALICE' }] } }), { namespace });
});
afterAll(() => s?.close());

const board = (): Promise<HoldBoardView> => s.client.workflow.getHandle(holdBoardId(s.worker.taskQueue)).query(holdBoardQuery);
let names = 0;
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(++names).toString(36)}`;
const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

/** The next spring-forward night in Europe/Berlin (the last Sunday of March), at least a day away. */
function nextSpringForward(): { saturday: string; sunday: string; friday: string } {
  for (let year = new Date().getUTCFullYear(); ; year++) {
    const lastOfMarch = new Date(Date.UTC(year, 2, 31));
    const sunday = new Date(lastOfMarch.getTime() - lastOfMarch.getUTCDay() * 86_400_000);
    if (sunday.getTime() - 2 * 86_400_000 < Date.now() + 86_400_000) continue;
    const day = (offset: number) => new Date(sunday.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    return { friday: day(-2), saturday: day(-1), sunday: day(0) };
  }
}

test('a freeze created through the API holds its stages and services on the hold board, and ending it lifts it', async () => {
  const name = uniqueName('checkout');
  const created = await s.api('POST', '/freezes', OPS, { name, stages: ['production'], services: ['checkout'], from: minutesFromNow(-1), until: minutesFromNow(60), reason: 'Black Friday' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name, workflowId: `freeze:${name}`, status: 'active', createdBy: 'U0ALICE', caller: { token: 'release-ops' }, timeZone: 'UTC' });

  const report = await eventually('the freeze on the hold board', async () => (await board()).reports.find((r) => r.id === `freeze:${name}`));
  expect(report).toMatchObject({ source: 'freeze', scopes: [{ stages: ['production'], services: ['checkout'] }], label: 'Black Friday', reason: 'Black Friday', until: (created.body.window as { until: string }).until });
  const reports = (await board()).reports;
  expect(holdsFor(reports, { stage: 'production', service: 'checkout' }).map((h) => h.id)).toContain(`freeze:${name}`);
  expect(holdsFor(reports, { stage: 'staging', service: 'checkout' }).map((h) => h.id)).not.toContain(`freeze:${name}`);
  expect(holdsFor(reports, { stage: 'production', service: 'web' }).map((h) => h.id)).not.toContain(`freeze:${name}`);

  // Found in the Temporal UI by its search attributes.
  await eventually('the freeze listed as active', async () => {
    for await (const w of s.client.workflow.list({ query: `SignalroomKind = 'freeze' AND SignalroomStatus = 'active' AND WorkflowId = 'freeze:${name}'` })) return w;
    return undefined;
  });

  const ended = await s.api('POST', `/freezes/${name}/end`, OPS, { reason: 'Sale over' });
  expect(ended.status).toBe(200);
  expect(ended.body).toMatchObject({ status: 'ended', ended: { how: 'ended', by: 'U0ALICE', reason: 'Sale over', caller: { token: 'release-ops' } }, windowsHeld: 1 });
  // The end answers once the hold is lifted.
  expect((await board()).reports.map((r) => r.id)).not.toContain(`freeze:${name}`);
  const again = await s.api('POST', `/freezes/${name}/end`, OPS, {});
  expect(again).toEqual({ status: 409, body: { error: 'conflict', message: `The freeze ${name} has already ended.` } });
  const read = await s.api('GET', `/freezes/${name}`, OPS);
  expect(read.body).toMatchObject({ status: 'ended', ended: { by: 'U0ALICE' } });
  await eventually('the freeze listed as ended', async () => {
    for await (const w of s.client.workflow.list({ query: `SignalroomKind = 'freeze' AND SignalroomStatus = 'ended' AND WorkflowId = 'freeze:${name}'` })) return w;
    return undefined;
  });
});

test('a window that ends by its timer lifts its hold; a wildcard freeze holds every service of its stage', async () => {
  const name = uniqueName('short');
  const created = await s.api('POST', '/freezes', OPS, { name, stages: ['production'], services: ['*'], from: minutesFromNow(-1), until: new Date(Date.now() + 3_000).toISOString(), reason: 'Database migration' });
  expect(created.status).toBe(201);
  const report = await eventually('the wildcard freeze on the board', async () => (await board()).reports.find((r) => r.id === `freeze:${name}`));
  expect(holdsFor([report], { stage: 'production', service: 'anything' })).toHaveLength(1);
  expect(holdsFor([report], { stage: 'staging', service: 'anything' })).toHaveLength(0);
  await eventually('the window over and lifted', async () => !(await board()).reports.some((r) => r.id === `freeze:${name}`));
  const read = await eventually('the freeze over', async () => {
    const r = await s.api('GET', `/freezes/${name}`, OPS);
    return r.body.status === 'ended' ? r.body : undefined;
  });
  expect(read).toMatchObject({ ended: { how: 'over' }, windowsHeld: 1 });
});

test('a one-off freeze across the spring-forward night: Berlin wall time on each side, listed by the API and `signalroom freeze list`', async () => {
  const { saturday, sunday } = nextSpringForward();
  const name = uniqueName('dst');
  const created = await s.api('POST', '/freezes', OPS, { name, stages: ['production'], services: ['checkout', 'web'], from: `${saturday}T22:00`, until: `${sunday}T06:00`, timeZone: 'Europe/Berlin', reason: 'Clock change' });
  expect(created.status).toBe(201);
  const expected = { start: `${saturday}T21:00:00.000Z`, end: `${sunday}T04:00:00.000Z` };
  const read = await s.api('GET', `/freezes/${name}`, OPS);
  expect(read.body).toMatchObject({ status: 'scheduled', timeZone: 'Europe/Berlin', window: { kind: 'once', from: expected.start, until: expected.end }, next: expected, upcoming: [expected] });

  const listed = await eventually('the freeze in `signalroom freeze list`', async () => {
    const out = await runSignalroom(['freeze', 'list'], { env: { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, SIGNALROOM_CONFIG: undefined, SIGNALROOM_API_URL: undefined } });
    return out.stdout.includes(`${name}: scheduled`) ? out : undefined;
  });
  expect(listed.code).toBe(0);
  const lines = listed.stdout.split('\n');
  const at = lines.indexOf(`${name}: scheduled; holds production › checkout, web: Clock change`);
  expect(lines.slice(at + 1, at + 3)).toEqual([
    '  schedule  once, Europe/Berlin',
    `  next      Sat ${saturday} 22:00 +01:00 → Sun ${sunday} 06:00 +02:00 Europe/Berlin (${saturday} 21:00Z → ${sunday} 04:00Z)`,
  ]);
  expect((await s.api('POST', `/freezes/${name}/end`, OPS, {})).status).toBe(200);
});

test('a recurring nightly freeze: its next windows start at 22:00 Berlin time on either side of the change', async () => {
  const { friday, saturday, sunday } = nextSpringForward();
  const monday = new Date(Date.parse(sunday) + 86_400_000).toISOString().slice(0, 10);
  const name = uniqueName('nightly');
  const created = await s.api('POST', '/freezes', OPS, { name, stages: ['production'], services: ['*'], cron: '0 22 * * *', duration: '8h', timeZone: 'Europe/Berlin', from: `${friday}T00:00`, reason: 'Quiet hours' });
  expect(created.status).toBe(201);
  const read = await s.api('GET', `/freezes/${name}`, OPS);
  expect(read.body).toMatchObject({ status: 'scheduled', window: { kind: 'recurring', cron: '0 22 * * *', durationMs: 8 * 3_600_000 } });
  expect((read.body.upcoming as unknown[]).slice(0, 3)).toEqual([
    { start: `${friday}T21:00:00.000Z`, end: `${saturday}T05:00:00.000Z` },
    { start: `${saturday}T21:00:00.000Z`, end: `${sunday}T04:00:00.000Z` },
    { start: `${sunday}T20:00:00.000Z`, end: `${monday}T04:00:00.000Z` },
  ]);
  const list = await eventually('the nightly freeze listed', async () => {
    const r = await s.api('GET', '/freezes', OPS);
    return (r.body.freezes as Array<{ name: string }>).find((f) => f.name === name);
  });
  expect(list).toMatchObject({ status: 'scheduled', next: { start: `${friday}T21:00:00.000Z` } });
  expect((await s.api('POST', `/freezes/${name}/end`, OPS, {})).status).toBe(200);
});

test('the same request again joins the freeze; another for the same name is a 409 naming what differs', async () => {
  const name = uniqueName('join');
  const body = { name, stages: ['production'], services: ['checkout'], from: minutesFromNow(120), until: minutesFromNow(180), reason: 'Launch' };
  expect((await s.api('POST', '/freezes', OPS, body)).status).toBe(201);
  expect((await s.api('POST', '/freezes', OPS, body)).status).toBe(200);
  const other = await s.api('POST', '/freezes', OPS, { ...body, services: ['*'], reason: 'Something else' });
  expect(other.status).toBe(409);
  expect(other.body).toMatchObject({ error: 'conflict', fields: ['reason', 'services'] });
  expect((await s.api('POST', `/freezes/${name}/end`, OPS, {})).status).toBe(200);
});

test('the CLI straight against Temporal: create, list, end, with the operator on the record; a refused request exits 64', async () => {
  const env = { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, SIGNALROOM_CONFIG: undefined, SIGNALROOM_API_URL: undefined };
  const name = uniqueName('cli');
  const create = await runSignalroom(['freeze', 'create', '--name', name, '--stages', 'production', '--services', 'checkout,web', '--from', minutesFromNow(-1), '--until', minutesFromNow(60), '--reason', 'Release train', '--as', 'U0BOB', '--json'], { env });
  expect(create.stderr).toBe('');
  expect(create.code).toBe(0);
  expect(JSON.parse(create.stdout)).toMatchObject({ name, status: 'active', createdBy: 'U0BOB', caller: { operator: expect.stringMatching(/\S+@\S+/) } });
  await eventually('the CLI freeze on the board', async () => (await board()).reports.find((r) => r.id === `freeze:${name}`));

  const everyMinute = await runSignalroom(['freeze', 'create', '--name', uniqueName('cli'), '--stages', 'production', '--services', '*', '--cron', '* * * * *', '--duration', '1m', '--tz', 'Europe/Berlin', '--reason', 'x', '--as', 'U0BOB'], { env });
  expect(everyMinute.code).toBe(64);
  expect(everyMinute.stderr).toMatch(/^signalroom freeze: --cron: "\* \* \* \* \*" starts windows 1m apart .*; a freeze's windows start at least 1h apart\n$/);
  const noPerson = await runSignalroom(['freeze', 'end', name], { env });
  expect(noPerson.code).toBe(64);

  const end = await runSignalroom(['freeze', 'end', name, '--as', 'U0BOB', '--reason', 'Shipped'], { env });
  expect(end.code).toBe(0);
  expect(end.stdout).toContain(`Freeze ${name} ended: its hold is lifted`);
  expect(end.stdout).toMatch(/Ended by U0BOB \(operator \S+@\S+\) at \S+: Shipped/);
  expect((await board()).reports.map((r) => r.id)).not.toContain(`freeze:${name}`);
  const again = await runSignalroom(['freeze', 'end', name, '--as', 'U0BOB'], { env });
  expect(again).toMatchObject({ code: 5, stderr: `signalroom freeze: The freeze ${name} has already ended.\n` });
});

test('the CLI through the API: the same lines, as the token\'s user', async () => {
  const env = { SIGNALROOM_API_URL: s.serverUrl, SIGNALROOM_API_TOKEN: OPS, TEMPORAL_ADDRESS: undefined };
  const name = uniqueName('viaapi');
  const create = await runSignalroom(['freeze', 'create', '--name', name, '--stages', 'production', '--services', 'checkout', '--from', minutesFromNow(120), '--until', minutesFromNow(180), '--reason', 'Launch'], { env });
  expect(create.stderr).toBe('');
  expect(create.stdout).toContain(`Freeze ${name} created: workflow freeze:${name}\n${name}: scheduled; holds production › checkout: Launch\n  schedule  once, UTC\n  next      `);
  const tooLong = await runSignalroom(['freeze', 'create', '--name', uniqueName('viaapi'), '--stages', 'production', '--services', 'checkout', '--from', minutesFromNow(1), '--until', minutesFromNow(2), '--reason', 'r'.repeat(501)], { env });
  expect(tooLong.code).toBe(64);
  expect(tooLong.stderr).toMatch(/^signalroom freeze: --reason: /);
  const end = await runSignalroom(['freeze', 'end', name], { env });
  expect(end.code).toBe(0);
  expect(end.stdout).toContain('Ended by U0ALICE (token release-ops)');
});
