/**
 * Attack: get a gate through with nobody deciding, where configuration says
 * a timeout never approves. A runbook's Request Approval step asks
 * `OnTimeout: approve` for a group that does not allow it, and the step took
 * the timeout as an approval (the approval itself said: do not proceed). And:
 * `signalroom approval request --on-timeout approve` with no configuration
 * beside it was accepted, then run as a rejection, while the Temporal UI
 * said "then approve".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { openIncident } from '../../../src/incidents/client';
import { approvalWorkflowId } from '../../../src/approvals/client';
import { incidentStateQuery } from '../../../workflows/messages';
import { runbookFrom } from '../../support/incidents';
import { card, uniqueExecution } from '../../support/approvals';
import { CHANNEL, eventually, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ config: { approverGroups: { release: { userGroups: ['@release-managers'] }, lenient: { users: ['U0BOB'], allowApproveOnTimeout: true } } } });
});
afterAll(() => s?.close());

const gated = (group: string) =>
  runbookFrom(`
name: timeout-gate-${group}
inputs: [incident.id]
steps:
  - Operation: Request Approval
    Id: gate
    Channel: "#deploys"
    Message: "Deploy [incident.id]"
    ApproverGroups: [${group}]
    Timeout: 2s
    OnTimeout: approve
  - Operation: Send Message
    Channel: "#deploys"
    Message: "Deploying [incident.id] ([steps.gate.status])"
`);

/** The incident once its opening steps are done (or stopped). */
async function opened(id: string, group: string) {
  const handle = await openIncident(s.client, gated(group), { 'incident.id': id }, s.worker.taskQueue, 'U0ERIN');
  return eventually('the opening steps to finish', async () => {
    const st = await handle.query(incidentStateQuery);
    return st.status === 'open' && st;
  }, 30_000);
}

test('a runbook gate asking to approve on timeout, where configuration forbids it, fails saying why and the runbook stops', async () => {
  const id = uniqueExecution('TOGATE');
  const state = await opened(id, 'release');
  // Nothing went on: no deploy message, and the gate's outcome is a failure naming the setting.
  expect(s.sandbox.messages(CHANNEL).filter((m) => m.text.startsWith(`Deploying ${id}`))).toEqual([]);
  expect(state.steps.gate).toEqual({ status: 'failed', approvedBy: [] });
  const failure = state.timeline.find((e) => e.kind === 'error');
  expect(failure?.text).toContain('onTimeout: approve on timeout is not allowed for release (configuration: approverGroups.<group>.allowApproveOnTimeout)');
  expect(state.timeline.at(-1)?.text).toMatch(/^Stopped the remaining opening steps/);
  // No card was posted to be clicked: the request was never a question.
  expect(card(s.sandbox, id)).toBeUndefined();
});

test('where configuration allows it, the timeout approves and the runbook goes on', async () => {
  const id = uniqueExecution('TOLENIENT');
  const state = await opened(id, 'lenient');
  expect(state.steps.gate).toEqual({ status: 'approved', approvedBy: [] });
  await eventually('the deploy message', () => s.sandbox.messages(CHANNEL).find((m) => m.text === `Deploying ${id} (approved)`));
});

test('`approval request --on-timeout approve` with no configuration beside it: refused saying why (exit 64, as with one), never a silent rejection', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-noconfig-'));
  const execution = uniqueExecution('cli');
  const { SIGNALROOM_CONFIG: _config, ...withoutConfig } = process.env;
  try {
    const cli = spawn(process.execPath, [path.resolve(__dirname, '../../../bin/signalroom.js'), 'approval', 'request', '--pipeline', 'web', '--stage', 'production', '--execution', execution, '--approvers', 'release', '--channel', CHANNEL, '--timeout', '2s', '--on-timeout', 'approve', '--wait'], {
      cwd: dir,
      // No SIGNALROOM_CONFIG, and no signalroom.yaml in the folder it runs in.
      env: { ...withoutConfig, TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS, SIGNALROOM_TASK_QUEUE: s.worker.taskQueue, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    cli.stdout.on('data', (c) => (out += c));
    cli.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number>((resolve) => cli.on('close', (c) => resolve(c ?? -1)));
    // The CLI waited for the worker's verdict: the same refusal, and exit code, as a CLI that knows the configuration.
    expect(out).toContain('signalroom approval: onTimeout: approve on timeout is not allowed for release');
    expect(code).toBe(64);
    const failed = await s.client.workflow.getHandle(approvalWorkflowId({ pipeline: 'web', stage: 'production', execution })).result().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect(card(s.sandbox, execution)).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
