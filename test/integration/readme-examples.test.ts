/**
 * The README's examples run as written. Each shell block marked
 * `<!-- example: NAME (run by test/integration/readme-examples.test.ts) -->`
 * is taken from README.md and run with bash against a live stack (the
 * sandbox Slack, a worker, the HTTP server, the test's Temporal), with only
 * the stand-ins a reader replaces anyway swapped for the stack's: the host,
 * the Slack user ids, and the execution (made unique per run).
 *
 * An operator found every id in the README wrong (`approval-api-production-1234`
 * where the real form is `approval:api:production:1234`): every example
 * answered 404. This test is what keeps them true.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requestApproval, normalizeApprovalRequest } from '../../src/approvals/client';
import { card, eventually, uniqueExecution } from '../support/approvals';
import { serverStack, type ServerStack } from '../support/server-stack';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TOKEN = 'readme-examples-token-0123456789';

/** The shell block after the README's marker for `name`. */
function example(name: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const marker = `<!-- example: ${name} (run by test/integration/readme-examples.test.ts) -->`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no example marked ${name}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at + marker.length));
  if (!block) throw new Error(`no sh block after the ${name} marker`);
  return block[1];
}

let s: ServerStack;
let bin: string;
beforeAll(async () => {
  s = await serverStack(() => ({
    approverGroups: { 'release-managers': { users: ['U0CAROL', 'U0DAVE', 'U0ERIN'] } },
    api: { tokens: [{ name: 'pipeline', token: TOKEN, permissions: ['*'], slackUser: 'U0ERIN' }] },
  }));
  // `signalroom` as a reader has it on PATH.
  bin = mkdtempSync(path.join(os.tmpdir(), 'sr-readme-'));
  writeFileSync(path.join(bin, 'signalroom'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'bin/signalroom.js')}" "$@"\n`);
  chmodSync(path.join(bin, 'signalroom'), 0o755);
});
afterAll(() => s?.close());

/** What one command of a block printed, and its exit code. */
interface Step {
  output: string;
  exit: number;
}

/** The block with the stack's stand-ins, run by bash: each command's output and exit code, in order (commands that print nothing left out). */
async function run(name: string, execution: string): Promise<Step[]> {
  const script = example(name)
    .replaceAll('https://signalroom.example.com', s.serverUrl)
    .replaceAll('U0123ABCD', 'U0DAVE')
    .replaceAll('U0456EFGH', 'U0CAROL')
    .replaceAll(':1234', `:${execution}`)
    .replaceAll('"execution": "1234"', `"execution": "${execution}"`)
    // A pending approval's /wait holds the call up to the timeout: a second is enough here.
    .replaceAll('timeout=30s', 'timeout=1s');
  // After each command (a line that continues no command and leaves no quote open), its exit code.
  let open = false;
  const traced = script
    .split('\n')
    .flatMap((line) => {
      open = (line.split("'").length - 1) % 2 === 1 ? !open : open;
      return open || line.endsWith('\\') || !line.trim() || line.trim().startsWith('#') ? [line] : [line, 'echo "@@exit $?@@"'];
    })
    .join('\n');
  const { stdout } = await exec('bash', ['-c', traced], {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      SIGNALROOM_API_TOKEN: TOKEN,
      TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: process.env.SIGNALROOM_TEST_NAMESPACE,
      SIGNALROOM_CONFIG: '',
    },
    cwd: bin,
  });
  return [...stdout.matchAll(/([\s\S]*?)@@exit (\d+)@@\n/g)].map((m) => ({ output: m[1].trim(), exit: Number(m[2]) })).filter((st) => st.output !== '');
}

test('the pipeline API example: request, read, wait, reject with a reason, and a refused cancel', async () => {
  const execution = uniqueExecution('readme-api');
  const steps = await run('pipeline-api', execution);
  const id = `approval:api:production:${execution}`;
  expect(steps.map((st) => st.exit)).toEqual([0, 0, 0, 0, 0]);
  const bodies = steps.map((st) => JSON.parse(st.output) as Record<string, unknown>);
  expect(bodies[0]).toEqual({ id, created: true });
  expect(bodies[1]).toMatchObject({ id, status: 'pending', pipeline: 'api', stage: 'production', execution, needed: 2 });
  expect(bodies[2]).toMatchObject({ id, status: 'pending' });
  expect(bodies[3]).toMatchObject({ accepted: true, status: 'rejected' });
  expect(bodies[4]).toMatchObject({ error: expect.any(String) });
  expect(JSON.stringify(bodies[4])).toContain('rejected');
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  expect(posted.text).toContain('Rejected by U0CAROL: error budget spent');
});

test('the CLI example: status while pending (exit 4), decide, then a cancel that is refused', async () => {
  const execution = uniqueExecution('readme-cli');
  await requestApproval(s.client, normalizeApprovalRequest({ pipeline: 'api', stage: 'production', execution, approverGroups: ['release-managers'], destination: { channel: '#deploys' }, requestedBy: 'U0ERIN', timeout: '10m' }), s.worker.taskQueue);
  await eventually('the card', () => card(s.sandbox, execution));
  const [status, decide, cancel] = await run('cli-decide', execution);
  expect(status.output).toContain(`approval:api:production:${execution}: pending`);
  expect(status.exit).toBe(4);
  expect(decide).toEqual({ output: 'Your approval is recorded: the request is approved.', exit: 0 });
  expect(cancel).toEqual({ output: 'Not recorded: this approval is already approved.', exit: 5 });
});
