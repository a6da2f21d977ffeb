/**
 * `signalroom approval` as a pipeline step runs it: a real process against
 * the dev server, the worker and the sandbox. The exit code is the outcome —
 * 0 approved, 1 rejected, 2 expired, 3 cancelled, 4 pending (status), 5
 * refused or error, 64 bad usage.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { APPROVE_ACTION, REJECT_ACTION } from '../../../core/slack/blocks/approval-card';
import { approvalStateQuery } from '../../../workflows/messages';
import { buttons, card, CHANNEL, approvalCliStack, eventually, uniqueExecution, visibleText } from '../../support/approvals';

const ROOT = path.resolve(__dirname, '../../..');
const setup = approvalCliStack({ release: { userGroups: ['@release-managers'] }, sre: { users: ['U0ALICE'] }, lenient: { users: ['U0BOB'], allowApproveOnTimeout: true } });
const { dir, configFile } = setup;

interface Run {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
}

function cli(args: string[]): Run {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'approval', ...args], {
    cwd: dir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default',
      SIGNALROOM_TASK_QUEUE: setup.stack.worker.taskQueue,
      SIGNALROOM_CONFIG: configFile,
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return { code: new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1))), stdout: () => out, stderr: () => err };
}

const request = (execution: string, ...extra: string[]) =>
  cli(['request', '--pipeline', 'web', '--stage', 'production', '--execution', execution, '--approvers', 'release', '--channel', '#deploys', '--timeout', '5m', '--wait', ...extra]);

const postedCard = (execution: string) => eventually('the approval card', () => card(setup.stack.sandbox, execution), 20_000);

async function clickOnCard(userId: string, execution: string, actionId: string) {
  const c = await postedCard(execution);
  const res = await setup.stack.sandbox.click({ userId, channelId: CHANNEL, messageTs: c.ts, actionId });
  expect(res.response.status).toBe(200);
}

test('approved in Slack: exit 0, with the id and each change printed', async () => {
  const execution = uniqueExecution('cli');
  const run = request(execution);
  await clickOnCard('U0CAROL', execution, APPROVE_ACTION);
  expect(await run.code).toBe(0);
  expect(run.stdout()).toContain(`Approval requested: approval:web:production:${execution}`);
  // The card's link (chat.getPermalink), for whoever reads the pipeline's log.
  const link = /In Slack: (http:\/\/127\.0\.0\.1:\d+\/archives\/C0DEPLOYS\/p\d+)/.exec(run.stdout())?.[1];
  expect(link).toBe(`${setup.stack.sandbox.url}/archives/C0DEPLOYS/p${card(setup.stack.sandbox, execution)!.ts.replace('.', '')}`);
  expect(run.stdout()).toMatch(/Approved by \S+ via slack/);
  expect(run.stdout()).toMatch(/Outcome: approved/);
});

test('rejected in Slack: exit 1; --json prints JSON lines ending with the result', async () => {
  const execution = uniqueExecution('cli');
  const run = request(execution, '--json');
  await clickOnCard('U0DAVE', execution, REJECT_ACTION);
  expect(await run.code).toBe(1);
  const lines = run.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines[0]).toEqual({ event: 'requested', workflowId: `approval:web:production:${execution}` });
  expect(lines.at(-1)).toMatchObject({ event: 'result', status: 'rejected', proceed: false, decisions: [expect.objectContaining({ verb: 'reject', user: expect.objectContaining({ id: 'U0DAVE' }) })] });
});

test('nobody decides: exit 2 at the timeout, or 0 when the timeout approves where the configuration allows it', async () => {
  const expired = request(uniqueExecution('cli'), '--timeout', '2s');
  const approvedOnTimeout = cli(['request', '--pipeline', 'web', '--stage', 'production', '--execution', uniqueExecution('cli'), '--approvers', 'lenient', '--channel', '#deploys', '--timeout', '2s', '--on-timeout', 'approve', '--wait']);
  const notAllowed = request(uniqueExecution('cli'), '--timeout', '2s', '--on-timeout', 'approve');
  expect(await expired.code).toBe(2);
  expect(expired.stdout()).toMatch(/Outcome: expired \(Nobody decided by .*: rejected on timeout\)/);
  expect(await approvedOnTimeout.code).toBe(0);
  expect(approvedOnTimeout.stdout()).toMatch(/approved on timeout/);
  // release allows no approval on timeout: the request is refused before it starts, naming the setting.
  expect(await notAllowed.code).toBe(64);
  expect(notAllowed.stderr()).toContain('onTimeout: approve on timeout is not allowed for release');
});

test('status (4 while pending), decide (refused 5, accepted 0), cancel (0, then 5): the waiting request exits 3', async () => {
  const execution = uniqueExecution('cli');
  const id = `approval:web:production:${execution}`;
  const waiting = request(execution, '--min', '2', '--approvers', 'sre');
  await postedCard(execution);

  // Each command is its own process (a second or two to start): independent ones run side by side.
  const status = cli(['status', id]);
  const outsider = cli(['decide', id, '--approve', '--as', 'U0ERIN']);
  const carol = cli(['decide', id, '--approve', '--as', 'U0CAROL', '--json']);
  expect(await status.code).toBe(4);
  expect(status.stdout()).toMatch(new RegExp(`${id}: pending — [01] of 2 approvals`));
  expect(await outsider.code).toBe(5);
  expect(outsider.stdout()).toContain('Not recorded: you are not an approver');
  expect(await carol.code).toBe(0);
  expect(JSON.parse(carol.stdout())).toEqual({ accepted: true, status: 'pending', message: 'Your approval is recorded (1 of 2).' });
  await eventually('the card to show 1 of 2', () => visibleText(card(setup.stack.sandbox, execution)!).includes('1 of 2'));

  const cancel = cli(['cancel', id, '--as', 'U0ERIN', '--reason', 'superseded']);
  expect(await cancel.code).toBe(0);
  expect(await waiting.code).toBe(3);
  expect(waiting.stdout()).toContain('Approved by U0CAROL via cli');
  expect(waiting.stdout()).toContain('Outcome: cancelled (Cancelled by @U0ERIN: superseded)');
  const final = card(setup.stack.sandbox, execution)!;
  expect(buttons(final)).toEqual([]);
  expect(visibleText(final)).toContain('Cancelled by <@U0ERIN>: superseded');

  const again = cli(['cancel', id]);
  const finalStatus = cli(['status', id, '--json']);
  expect(await again.code).toBe(5);
  expect(await finalStatus.code).toBe(3);
  expect(JSON.parse(finalStatus.stdout())).toMatchObject({ id, status: 'cancelled' });
  // A decision straight against Temporal records who ran the command (user@host), beside whom it decided as.
  const record = await setup.stack.client.workflow.getHandle(id).query(approvalStateQuery);
  expect(record.decisions).toEqual([expect.objectContaining({ user: expect.objectContaining({ id: 'U0CAROL' }), via: 'cli', by: { operator: expect.stringMatching(/^.+@.+$/) } })]);
  expect(record.cancelledBy).toEqual({ operator: expect.stringMatching(/^.+@.+$/) });
});

test('a request that fails (a typo in the channel): --wait prints the root cause and exits 5; status says failed and exits 5', async () => {
  const execution = uniqueExecution('cli');
  const id = `approval:web:production:${execution}`;
  const failed = cli(['request', '--pipeline', 'web', '--stage', 'production', '--execution', execution, '--approvers', 'release', '--channel', '#deplyos', '--timeout', '5m', '--wait']);
  expect(await failed.code).toBe(5);
  expect(failed.stdout()).toContain('The approval failed: Channel #deplyos does not exist');
  expect(failed.stdout()).not.toContain('Activity task failed');

  const status = cli(['status', id]);
  const json = cli(['status', id, '--json']);
  expect(await status.code).toBe(5);
  expect(status.stdout()).toMatch(new RegExp(`^${id}: failed — Channel #deplyos does not exist`));
  expect(await json.code).toBe(5);
  expect(JSON.parse(json.stdout())).toMatchObject({ id, status: 'failed', reason: expect.stringContaining('Channel #deplyos does not exist') });
});

test('bad usage exits 64 naming the problem; an unknown approver group never starts anything', async () => {
  const unknownGroup = request(uniqueExecution('cli'), '--approvers', 'ghosts');
  const badTimeout = request(uniqueExecution('cli'), '--timeout', 'soon');
  const both = cli(['decide', 'x', '--approve', '--reject', '--as', 'U0CAROL']);
  expect(await unknownGroup.code).toBe(64);
  expect(unknownGroup.stderr()).toContain('unknown approver group "ghosts" (configured: release, sre, lenient)');
  expect(await badTimeout.code).toBe(64);
  expect(badTimeout.stderr()).toContain('timeout: "soon" is not a duration');
  expect(await both.code).toBe(64);
});
