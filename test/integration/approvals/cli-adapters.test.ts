/**
 * Every `signalroom approval` command, run twice: straight against Temporal
 * and through the HTTP API (`--api URL --token T`). A pipeline must not be
 * able to tell which way it went: the same lines, the same JSON, the same
 * exit codes — only the id and the channel a decision came through differ.
 */
import path from 'node:path';
import { runSignalroom, type CommandResult } from '../../support/ops';
import { testNamespace, testTemporalAddress } from '../../support/temporal';
import { API_TOKEN, APPROVER_GROUPS, card, approvalCliStack, eventually, uniqueExecution } from '../../support/approvals';

// Every command is its own process (seconds each on a busy 2-core machine); the two ways run side by side.
jest.setTimeout(240_000);
// The server's own approver groups: both ways check names against the same configuration.
const setup = approvalCliStack(APPROVER_GROUPS);
const { dir, configFile } = setup;

type Way = 'temporal' | 'http';
const WAYS: Way[] = ['temporal', 'http'];

type Ran = CommandResult;

/** `signalroom approval …` as its own process, the way `way` says. */
function cli(way: Way, args: string[]): Promise<Ran> {
  const common = { SIGNALROOM_TASK_QUEUE: setup.stack.worker.taskQueue, LOG_LEVEL: 'error', SIGNALROOM_API_URL: undefined, SIGNALROOM_API_TOKEN: undefined };
  const env =
    way === 'temporal'
      ? { ...common, TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: testNamespace(), SIGNALROOM_CONFIG: configFile }
      : // Only the API: no Temporal address, no configuration file.
        { ...common, TEMPORAL_ADDRESS: undefined, SIGNALROOM_CONFIG: path.join(dir, 'none.yaml') };
  const extra = way === 'http' ? ['--api', setup.stack.serverUrl, '--token', API_TOKEN] : [];
  return runSignalroom(['approval', ...args, ...extra], { cwd: dir, env, timeoutMs: 100_000 });
}

/**
 * What may differ between the two ways: the approval's id, times, the channel
 * a decision came through, the order of a JSON object's keys, and whether a
 * `--wait` saw the run pending before its end (a matter of timing).
 */
function same(text: string, ids: Record<string, string>): string {
  let out = text
    .split('\n')
    .filter((line) => !/^(Waiting: |… no worker)/.test(line))
    .map((line) => (line.startsWith('{') ? JSON.stringify(sortedKeys(JSON.parse(line))) : line))
    .join('\n');
  for (const [id, name] of Object.entries(ids)) out = out.split(id).join(name);
  return out
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\/p\d+/g, '/p<ts>')
    .replace(/"ts":"[\d.]+"/g, '"ts":"<ts>"')
    .replace(/ via (cli|api)/g, ' via <way>')
    .replace(/"via":"(cli|api)"/g, '"via":"<way>"')
    .replace(/,?"by":\{"(token|operator)":"[^"]*"\}/g, '');
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortedKeys(v)]));
}

const requestArgs = (execution: string, ...extra: string[]) => ['request', '--pipeline', 'web', '--stage', 'production', '--execution', execution, '--approvers', 'release', ...extra];

/** The JSON lines of `request --wait --json`, with progress reduced to its messages (the polls may group changes differently). */
function events(stdout: string): { progress: string[]; others: Array<Record<string, unknown>> } {
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { progress: lines.filter((l) => l.event === 'progress').map((l) => String(l.message)).sort(), others: lines.filter((l) => l.event !== 'progress') };
}

/** A whole approval told through one way: request, status, refused and accepted decisions (with inputs), the outcome, cancel after the end. */
async function approvedStory(way: Way) {
  const execution = uniqueExecution(`adapters-${way}`);
  const id = `approval:web:production:${execution}`;
  const waiting = cli(way, requestArgs(execution, '--approvers', 'sre', '--min', '2', '--channel', '#deploys', '--timeout', '5m', '--input', 'ticket!=Change ticket', '--wait', '--json'));
  await eventually('the approval card', () => card(setup.stack.sandbox, execution), 20_000);
  const transcript: Array<[string, Ran]> = [];
  /** Commands that do not depend on each other, side by side. */
  const together = async (steps: Array<[string, string[]]>) => {
    const ran = await Promise.all(steps.map(([, args]) => cli(way, args)));
    steps.forEach(([name], i) => transcript.push([name, ran[i]!]));
  };
  await together([['status while pending', ['status', id]]]);
  // One after the other: the order of the refusals is part of what `status` prints.
  await together([['decide as an outsider', ['decide', id, '--approve', '--as', 'U0ERIN']]]);
  await together([['approve without the required input', ['decide', id, '--approve', '--as', 'U0CAROL']]]);
  await together([['approve with --input', ['decide', id, '--approve', '--as', 'U0CAROL', '--input', 'ticket=CHG-42', '--json']]]);
  await together([['the second approval', ['decide', id, '--approve', '--as', 'U0ALICE', '--input', 'ticket=CHG-43']]]);
  transcript.push(['request --wait', await waiting]);
  await together([
    ['status --json once approved', ['status', id, '--json']],
    ['status once approved', ['status', id]],
    ['decide once approved', ['decide', id, '--reject', '--as', 'U0DAVE', '--json']],
    ['cancel once approved', ['cancel', id]],
  ]);
  return { id, execution, transcript };
}

/** Requested without waiting, cancelled, then asked about. */
async function cancelledStory(way: Way) {
  const execution = uniqueExecution(`adapters-${way}`);
  const id = `approval:web:production:${execution}`;
  const transcript: Array<[string, Ran]> = [];
  transcript.push(['request', await cli(way, requestArgs(execution, '--channel', '#deploys', '--timeout', '5m'))]);
  transcript.push(['request again (joins)', await cli(way, requestArgs(execution, '--channel', '#deploys', '--timeout', '5m', '--json'))]);
  await eventually('the approval card', () => card(setup.stack.sandbox, execution), 20_000);
  transcript.push(['cancel', await cli(way, ['cancel', id, '--as', 'U0ERIN', '--reason', 'superseded', '--json'])]);
  const [status, again] = await Promise.all([cli(way, ['status', id]), cli(way, ['cancel', id])]);
  transcript.push(['status once cancelled', status], ['cancel again', again]);
  return { id, execution, transcript };
}

/** Nobody decides; a request that fails; bad usage; an approval that does not exist. */
async function endingsStory(way: Way) {
  const expired = uniqueExecution(`adapters-${way}`);
  const failed = uniqueExecution(`adapters-${way}`);
  const [expiredRun, failedRun, unknownGroup, badTimeout, both, missing] = await Promise.all([
    cli(way, requestArgs(expired, '--channel', '#deploys', '--timeout', '2s', '--wait')),
    cli(way, requestArgs(failed, '--channel', '#deplyos', '--timeout', '5m', '--wait')),
    cli(way, requestArgs(uniqueExecution(`adapters-${way}`), '--approvers', 'ghosts', '--channel', '#deploys')),
    cli(way, requestArgs(uniqueExecution(`adapters-${way}`), '--channel', '#deploys', '--timeout', 'soon')),
    cli(way, ['decide', 'approval:web:production:x', '--approve', '--reject', '--as', 'U0CAROL']),
    cli(way, ['status', 'approval:web:production:no-such-run']),
  ]);
  const failedStatus = await cli(way, ['status', `approval:web:production:${failed}`, '--json']);
  return {
    ids: { [`approval:web:production:${expired}`]: '<expired>', [`approval:web:production:${failed}`]: '<failed>', [expired]: '<expired execution>', [failed]: '<failed execution>' },
    transcript: [
      ['expired', expiredRun],
      ['failed', failedRun],
      ['status of the failed one', failedStatus],
      ['unknown approver group', unknownGroup],
      ['bad timeout', badTimeout],
      ['both verbs', both],
      ['no such approval', missing],
    ] as Array<[string, Ran]>,
  };
}

const comparable = (transcript: Array<[string, Ran]>, ids: Record<string, string>) =>
  transcript.map(([name, ran]) => ({
    name,
    code: ran.code,
    stdout: name === 'request --wait' ? events(same(ran.stdout, ids)) : same(ran.stdout, ids),
    stderr: same(ran.stderr, ids),
  }));

test('an approval decided from the CLI: the same through Temporal and through the API, and decide --input reaches the result', async () => {
  const [temporal, http] = await Promise.all(WAYS.map(approvedStory));
  const t = comparable(temporal.transcript, { [temporal.id]: '<id>', [temporal.execution]: '<execution>' });
  const h = comparable(http.transcript, { [http.id]: '<id>', [http.execution]: '<execution>' });
  expect(h).toEqual(t);

  const by = Object.fromEntries(t.map((s) => [s.name, s]));
  expect(by['status while pending']).toMatchObject({ code: 4, stdout: '<id>: pending — 0 of 2 approvals; expires <time>\n' });
  expect(by['decide as an outsider']).toMatchObject({ code: 5, stdout: expect.stringContaining('Not recorded: you are not an approver for this request') });
  expect(by['approve without the required input']).toMatchObject({ code: 5, stdout: 'Not recorded: "Change ticket" is required to approve.\n' });
  expect(by['approve with --input']).toMatchObject({ code: 0 });
  expect(JSON.parse(by['approve with --input']!.stdout as string)).toEqual({ accepted: true, status: 'pending', message: 'Your approval is recorded (1 of 2).' });
  expect(by['the second approval']).toMatchObject({ code: 0, stdout: 'Your approval is recorded: the request is approved.\n' });

  // The decide --input API test: the approver's input is in the pipeline's result, whichever way it was given.
  const wait = by['request --wait']!;
  expect(wait.code).toBe(0);
  const { progress, others } = wait.stdout as ReturnType<typeof events>;
  expect(others[0]).toEqual({ event: 'requested', workflowId: '<id>' });
  expect(others.at(-1)).toMatchObject({ event: 'result', status: 'approved', proceed: true, inputs: { ticket: 'CHG-43' } });
  // Each approver's own answer stays on their decision; `inputs` has the latest of each field.
  expect((others.at(-1) as { decisions: unknown[] }).decisions).toEqual([
    expect.objectContaining({ user: expect.objectContaining({ id: 'U0CAROL' }), inputs: { ticket: 'CHG-42' } }),
    expect.objectContaining({ user: expect.objectContaining({ id: 'U0ALICE' }), inputs: { ticket: 'CHG-43' } }),
  ]);
  expect(progress).toEqual(expect.arrayContaining(['Approved by U0CAROL via <way>', 'Approved by U0ALICE via <way>', expect.stringMatching(/^Refused approve from U0ERIN: you are not an approver/)]));
  expect(JSON.parse(by['status --json once approved']!.stdout as string)).toMatchObject({ id: '<id>', status: 'approved', proceed: true, inputs: { ticket: 'CHG-43' } });
  expect(by['status --json once approved']!.code).toBe(0);
  expect(by['status once approved']).toMatchObject({ code: 0, stdout: expect.stringMatching(/^<id>: approved — 2 of 2 approvals; expires <time>\n {2}Approved by U0CAROL via <way>\n/) });
  expect(by['decide once approved']!.code).toBe(5);
  expect(JSON.parse(by['decide once approved']!.stdout as string)).toEqual({ accepted: false, status: 'approved', message: 'Not recorded: this approval is already approved.' });
  expect(by['cancel once approved']).toMatchObject({ code: 5, stdout: 'Not recorded: this approval is already approved.\n' });
});

test('an approval cancelled from the CLI: the same through Temporal and through the API', async () => {
  const [temporal, http] = await Promise.all(WAYS.map(cancelledStory));
  const t = comparable(temporal.transcript, { [temporal.id]: '<id>', [temporal.execution]: '<execution>' });
  const h = comparable(http.transcript, { [http.id]: '<id>', [http.execution]: '<execution>' });
  expect(h).toEqual(t);
  expect(t).toEqual([
    { name: 'request', code: 0, stdout: 'Approval requested: <id>\n', stderr: '' },
    { name: 'request again (joins)', code: 0, stdout: '{"event":"requested","workflowId":"<id>"}\n', stderr: '' },
    { name: 'cancel', code: 0, stdout: '{"accepted":true,"message":"Cancelled.","status":"cancelled"}\n', stderr: '' },
    { name: 'status once cancelled', code: 3, stdout: '<id>: cancelled — 0 of 1 approval; expires <time>\n  Cancelled by @U0ERIN: superseded\n', stderr: '' },
    { name: 'cancel again', code: 5, stdout: 'Not recorded: this approval is already cancelled (Cancelled by @U0ERIN: superseded).\n', stderr: '' },
  ]);
});

test('expiry, failure, bad usage and unknown ids: the same lines and exit codes through Temporal and through the API', async () => {
  const [temporal, http] = await Promise.all(WAYS.map(endingsStory));
  const t = comparable(temporal.transcript, temporal.ids);
  const h = comparable(http.transcript, http.ids);
  expect(h).toEqual(t);
  const by = Object.fromEntries(t.map((s) => [s.name, s]));
  expect(by.expired).toMatchObject({ code: 2, stdout: expect.stringMatching(/Outcome: expired \(Nobody decided by <time>: rejected on timeout\)\n$/) });
  expect(by.failed).toMatchObject({ code: 5, stdout: expect.stringContaining('The approval failed: Channel #deplyos does not exist') });
  expect(by['status of the failed one']!.code).toBe(5);
  expect(JSON.parse(by['status of the failed one']!.stdout as string)).toMatchObject({ id: '<failed>', status: 'failed', reason: expect.stringContaining('Channel #deplyos does not exist') });
  expect(by['unknown approver group']).toMatchObject({ code: 64, stderr: expect.stringContaining('unknown approver group "ghosts" (configured: release, sre') });
  expect(by['bad timeout']).toMatchObject({ code: 64, stderr: expect.stringContaining('timeout: "soon" is not a duration') });
  expect(by['both verbs']).toMatchObject({ code: 64, stderr: 'signalroom approval: give exactly one of --approve or --reject\n' });
  expect(by['no such approval']).toMatchObject({ code: 5, stderr: 'signalroom approval: No approval "approval:web:production:no-such-run"\n' });
});
