/**
 * The GitHub Action (action.yml, action/index.js) run as the runner runs it:
 * `node action/index.js` with INPUT_* variables and the GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, against a live stack (the server, a worker, the
 * Slack sandbox). It requests, waits, sets outputs, writes the summary, and
 * fails the step unless the job may go on.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APPROVE_ACTION } from '../../../core/slack/blocks/approval-card';
import { API_TOKEN, approvalStack, card, CHANNEL, eventually, uniqueExecution, type ApprovalStack } from '../../support/approvals';

const ROOT = path.resolve(__dirname, '../../..');
let s: ApprovalStack;
let dir: string;
beforeAll(async () => {
  s = await approvalStack();
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-action-'));
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ActionRun {
  code: number | null;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Runs the Action's entry point with `inputs` (names as in action.yml), as the runner would. */
function runAction(name: string, inputs: Record<string, string>): Promise<ActionRun> {
  const output = path.join(dir, `${name}.output`);
  const summary = path.join(dir, `${name}.summary`);
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary };
  for (const [k, v] of Object.entries({ 'api-url': s.serverUrl, token: API_TOKEN, approvers: 'release', channel: CHANNEL, timeout: '10m', ...inputs })) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [path.join(ROOT, 'action/index.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stdout += c));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, outputs: parseOutputs(readFileSync(output, 'utf8')), summary: readFileSync(summary, 'utf8') }));
  });
}

/** The runner's GITHUB_OUTPUT format: `name<<DELIMITER`, the value's lines, `DELIMITER`. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    out[m[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return out;
}

test('approved in Slack: outputs say so, the summary shows who, and the step passes', async () => {
  const execution = uniqueExecution('gha');
  const running = runAction('approve', { pipeline: 'acme/api', stage: 'production', execution, summary: 'Deploy api v1.42 | to production', 'requested-by': 'U0ERIN' });
  const posted = await eventually('the card', () => card(s.sandbox, execution));
  const click = await s.sandbox.click({ userId: 'U0CAROL', channelId: CHANNEL, messageTs: posted.ts, actionId: APPROVE_ACTION });
  expect(click.response.status).toBe(200);
  const run = await running;
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`Approval requested: approval:acme/api:production:${execution}`);
  expect(run.stdout).toContain('Outcome: approved');
  expect(run.outputs).toMatchObject({ id: `approval:acme/api:production:${execution}`, status: 'approved', proceed: 'true', approvers: 'U0CAROL', inputs: '{}' });
  expect(JSON.parse(run.outputs.decisions!)).toEqual([expect.objectContaining({ verb: 'approve', user: expect.objectContaining({ id: 'U0CAROL' }), via: 'slack' })]);
  expect(run.outputs.permalink).toMatch(/^https?:\/\//);
  expect(run.summary).toContain('### Signalroom approval: approved');
  // Text from the request is data in the summary: the | cannot break the table or the line.
  expect(run.summary).toContain('Deploy api v1.42 &#124; to production');
  expect(run.summary).toMatch(/\| approve \| \S+ \| slack \|/);
});

test("an approver's inputs come back as JSON", async () => {
  const execution = uniqueExecution('gha-inputs');
  const running = runAction('inputs', { pipeline: 'acme/api', stage: 'production', execution, inputs: 'ticket!=Change ticket\nnote=Anything else' });
  await eventually('the card', () => card(s.sandbox, execution));
  const id = `approval:acme/api:production:${execution}`;
  expect((await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, API_TOKEN, { verb: 'approve', user: 'U0DAVE', inputs: { ticket: 'CHG-42' } })).status).toBe(200);
  const run = await running;
  expect(run.code).toBe(0);
  expect(JSON.parse(run.outputs.inputs!)).toEqual({ ticket: 'CHG-42' });
  expect(run.summary).toContain('| ticket | CHG-42 |');
});

test('rejected: the step fails with an error annotation, and the outputs and summary say why', async () => {
  const execution = uniqueExecution('gha-reject');
  const running = runAction('reject', { pipeline: 'acme/api', stage: 'production', execution, 'require-reason': 'true' });
  await eventually('the card', () => card(s.sandbox, execution));
  const id = `approval:acme/api:production:${execution}`;
  expect((await s.api('POST', `/approvals/${encodeURIComponent(id)}/decisions`, API_TOKEN, { verb: 'reject', user: 'U0CAROL', reason: 'error budget spent' })).status).toBe(200);
  const run = await running;
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('::error title=Not approved::The approval was rejected');
  expect(run.outputs).toMatchObject({ status: 'rejected', proceed: 'false', approvers: '' });
  expect(run.summary).toContain('### Signalroom approval: rejected');
  expect(run.summary).toContain('error budget spent');
});

test('a request the server refuses fails the step naming the problem, and starts nothing', async () => {
  const run = await runAction('refused', { pipeline: 'acme/api', stage: 'production', execution: uniqueExecution('gha-bad'), approvers: 'nobody-group' });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/::error title=Signalroom approval::the approval request was refused \(HTTP 422\): .*unknown approver group "nobody-group"/);
  expect(run.outputs).toEqual({});
});
