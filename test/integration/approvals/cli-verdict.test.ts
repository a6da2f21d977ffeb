/**
 * `signalroom approval request` answers a request it cannot run the same way
 * on every path: with or without `--wait`, with or without a configuration
 * file beside the CLI. Where only the worker can judge (no local approver
 * groups; a requester only Slack can look up), the CLI waits for the
 * worker's first verdict before it returns. And the CLI reads only the parts
 * of signalroom.yaml it uses: a server's secrets it does not have are no error.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_TOKEN, approvalCliStack, card, uniqueExecution } from '../../support/approvals';
import { runSignalroom, type CommandResult } from '../../support/ops';

const setup = approvalCliStack({ release: { userGroups: ['@release-managers'] } });
/** No signalroom.yaml here: the CLI knows no approver group, only the worker does. */
const bare = mkdtempSync(path.join(os.tmpdir(), 'signalroom-approval-bare-'));

function approval(args: string[], where: { config: boolean; env?: Record<string, string | undefined> }): Promise<CommandResult> {
  return runSignalroom(['approval', ...args], {
    cwd: where.config ? setup.dir : bare,
    env: {
      TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default',
      SIGNALROOM_TASK_QUEUE: setup.stack.worker.taskQueue,
      SIGNALROOM_CONFIG: where.config ? setup.configFile : undefined,
      SIGNALROOM_API_URL: undefined,
      LOG_LEVEL: 'error',
      ...where.env,
    },
  });
}

const request = (execution: string, ...extra: string[]) => ['request', '--pipeline', 'web', '--stage', 'production', '--execution', execution, '--channel', '#deploys', '--timeout', '5m', ...extra];

const paths = [
  { name: 'with local configuration, without --wait', config: true, wait: [] },
  { name: 'with local configuration, with --wait', config: true, wait: ['--wait'] },
  { name: 'without local configuration, without --wait', config: false, wait: [] },
  { name: 'without local configuration, with --wait', config: false, wait: ['--wait'] },
];

describe.each(paths)('$name', ({ config, wait }) => {
  test('an unknown approver group is refused: exit 64 naming it, no card', async () => {
    const execution = uniqueExecution('verdict');
    const run = await approval(request(execution, '--approvers', 'nosuch', ...wait), { config });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 64, stderr: expect.stringMatching(/unknown approver group "nosuch"/i) });
    expect(card(setup.stack.sandbox, execution)).toBeUndefined();
  });

  test('a requester who is nobody in Slack is refused: exit 64 naming the value, no card', async () => {
    const execution = uniqueExecution('verdict');
    const run = await approval(request(execution, '--approvers', 'release', '--requested-by', 'nobody@example.com', ...wait), { config });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 64, stderr: expect.stringContaining('nobody@example.com') });
    expect(card(setup.stack.sandbox, execution)).toBeUndefined();
  });
});

test('a request the worker accepts returns once its card is posted: exit 0, without --wait too', async () => {
  for (const config of [true, false]) {
    const execution = uniqueExecution('verdict');
    const run = await approval(request(execution, '--approvers', 'release', '--requested-by', 'U0ALICE'), { config });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    // Returned after the worker's verdict: the card is already there.
    const posted = card(setup.stack.sandbox, execution);
    expect(posted).toBeDefined();
    expect(run.stdout).toBe(`Approval requested: approval:web:production:${execution}\n`);
    const cancelled = await approval(['cancel', `approval:web:production:${execution}`, '--reason', 'test over'], { config });
    expect(cancelled.code).toBe(0);
  }
});

test("the CLI reads only what it uses: a server's unset secrets elsewhere in signalroom.yaml are no error; one it uses is", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-approval-partial-'));
  const file = path.join(dir, 'signalroom.yaml');
  writeFileSync(
    file,
    [
      'slack:',
      '  organization:',
      '    botToken: ${SLACK_BOT_TOKEN_ONLY_THE_SERVER_HAS}',
      '    signingSecret: ${SLACK_SIGNING_SECRET_ONLY_THE_SERVER_HAS}',
      '  webhooks:',
      '    deploys: ${DEPLOYS_WEBHOOK_URL_ONLY_THE_SERVER_HAS}',
      'api:',
      '  tokens:',
      '    - name: someone-else',
      '      token: ${SOMEONE_ELSES_API_TOKEN}',
      '      permissions: ["*"]',
      'approverGroups:',
      '  release:',
      '    userGroups: ["@release-managers"]',
      '',
    ].join('\n'),
  );
  const env = { SIGNALROOM_CONFIG: file, SLACK_BOT_TOKEN_ONLY_THE_SERVER_HAS: undefined, SOMEONE_ELSES_API_TOKEN: undefined };
  const execution = uniqueExecution('partial');
  const ok = await approval(request(execution, '--approvers', 'release'), { config: true, env });
  expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
  // The approver groups are checked locally still: a typo is refused without asking the worker.
  const typo = await approval(request(uniqueExecution('partial'), '--approvers', 'relase'), { config: true, env });
  expect(typo).toMatchObject({ code: 64, stderr: expect.stringContaining('unknown approver group "relase" (configured: release)') });
  expect((await approval(['cancel', `approval:web:production:${execution}`], { config: true, env })).code).toBe(0);

  // What the command does use must be set: approver groups that name an unset variable are still an error.
  writeFileSync(file, ['approverGroups:', '  release:', '    users: ["${RELEASE_MANAGER_NOT_SET}"]', ''].join('\n'));
  const unset = await approval(request(uniqueExecution('partial'), '--approvers', 'release'), { config: true, env });
  expect(unset.code).toBe(5);
  expect(unset.stderr).toContain('environment variable RELEASE_MANAGER_NOT_SET is not set');

  // The incident commands read runbooks.dirs only.
  writeFileSync(file, ['api:', '  tokens:', '    - name: someone-else', '      token: ${SOMEONE_ELSES_API_TOKEN}', 'runbooks:', `  dirs: [${JSON.stringify(path.resolve(__dirname, '../../../runbooks'))}]`, ''].join('\n'));
  const runbooks = await runSignalroom(['runbook', 'list'], { cwd: dir, env: { SIGNALROOM_CONFIG: file, SOMEONE_ELSES_API_TOKEN: undefined, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_API_URL: undefined } });
  expect({ code: runbooks.code, stderr: runbooks.stderr }).toEqual({ code: 0, stderr: '' });
});

test('a request whose run fails before its card (a channel that does not exist) exits 5 before returning, against Temporal and through the API, without --wait', async () => {
  for (const through of ['temporal', 'api'] as const) {
    const execution = uniqueExecution('verdict');
    const args = [...request(execution, '--approvers', 'release').map((a) => (a === '#deploys' ? '#deplyos' : a)), ...(through === 'api' ? ['--api', setup.stack.serverUrl, '--token', API_TOKEN] : [])];
    const run = await approval(args, { config: true });
    expect({ through, code: run.code }).toEqual({ through, code: 5 });
    expect(run.stdout).toContain('The approval failed: Channel #deplyos does not exist');
  }
});
