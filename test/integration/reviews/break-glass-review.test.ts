/**
 * The review a break-glass opens, as people live it: the approvers it
 * skipped read a direct message, the incident's channel reads a note, the
 * review channel shows who broke the glass and why with a Sign off button,
 * and reminders follow in its thread until a reviewer other than the
 * breaker signs it off, from Slack, the API or the CLI. The review is
 * started as the approval workflow starts it, by its id, with a 2-second
 * reminder interval.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SIGN_OFF_ACTION } from '../../../core/slack/blocks/break-glass-review';
import { reviewStateQuery } from '../../../workflows/messages';
import { SA } from '../../../workflows/search-attributes';
import {
  BREAKER,
  buttons,
  directMessages,
  eventually,
  INCIDENT_CHANNEL,
  OUTSIDER,
  reminders,
  REVIEW_CHANNEL,
  REVIEWER,
  reviewInput,
  reviewMessage,
  reviewStack,
  SKIPPED,
  startReview,
  toldTo,
  TOKENS,
  uniqueApprovalId,
  visibleText,
  type ReviewStack,
} from '../../support/reviews';

const ROOT = path.resolve(__dirname, '../../..');

let stack: ReviewStack;
let dir: string;
beforeAll(async () => {
  stack = await reviewStack();
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-review-cli-'));
  writeFileSync(path.join(dir, 'signalroom.yaml'), '{}');
});
afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const executionOf = (approvalId: string) => approvalId.split(':').at(-1)!;
const posted = (approvalId: string) => eventually('the review message', () => reviewMessage(stack.sandbox, executionOf(approvalId)));
const told = (userId: string, fragment: string) => eventually(`${userId} to be told "${fragment}"`, () => toldTo(stack.sandbox, userId, REVIEW_CHANNEL).find((t) => t.includes(fragment)));

async function clickSignOff(userId: string, approvalId: string) {
  const review = await posted(approvalId);
  const res = await stack.sandbox.click({ userId, channelId: REVIEW_CHANNEL, messageTs: review.ts, actionId: SIGN_OFF_ACTION });
  expect(res.response.status).toBe(200);
}

/** The README's query for the break-glasses nobody has reviewed yet. */
const UNREVIEWED = "SignalroomKind = 'review' AND SignalroomBreakGlass = 'review-open' AND ExecutionStatus = 'Running'";

/** How many runs with this id a list query finds. */
async function listed(query: string, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of stack.client.workflow.list({ query: `${query} AND WorkflowId = '${workflowId}'` })) n += 1;
  return n;
}

/** What each person and channel was told of this break-glass. */
async function notes(approvalId: string) {
  const execution = executionOf(approvalId);
  const dms = Object.fromEntries(await Promise.all(SKIPPED.map(async (u) => [u, (await directMessages(stack.sandbox, u)).filter((m) => m.text.includes(`(${execution})`))] as const)));
  const incident = stack.sandbox.messages(INCIDENT_CHANNEL).filter((m) => m.text.includes(`(${execution})`));
  return { dms, incident };
}

test('a break-glass tells the skipped approvers and the incident once, reminds the reviewers until a reviewer signs it off from Slack', async () => {
  const approvalId = uniqueApprovalId();
  const execution = executionOf(approvalId);
  const handle = await startReview(stack, reviewInput(approvalId));

  // The approvers it skipped, and the incident whose hold it overrode, are told.
  for (const user of SKIPPED) {
    const [dm] = await eventually(`a direct message to ${user}`, async () => {
      const dms = (await notes(approvalId)).dms[user]!;
      return dms.length > 0 && dms;
    });
    expect(dm.text).toContain(`<@${BREAKER}> broke the glass on api › production (${execution})`);
    expect(dm.text).toContain('which was waiting for your approval');
    expect(dm.text).toContain('>The fix for INC-7 itself must ship now');
    expect(dm.text).toContain(`The review is in <#${REVIEW_CHANNEL}>`);
  }
  const [note] = await eventually('the note in the incident channel', async () => {
    const { incident } = await notes(approvalId);
    return incident.length > 0 && incident;
  });
  expect(note.text).toContain('goes on despite the hold of INC-7 (SEV1, checkout)');

  // The review: who, why, what it overrode, and the button.
  const review = await posted(approvalId);
  const shown = visibleText(review);
  expect(shown).toContain('Break-glass review: api › production');
  expect(shown).toContain(`<@${BREAKER}> broke the glass`);
  expect(shown).toContain('>The fix for INC-7 itself must ship now');
  expect(shown).toContain('*Overrode*\nINC-7 (SEV1, checkout)');
  expect(shown).toContain('Deploy api v1.43: the checkout fix');
  expect(buttons(review)).toEqual([{ text: 'Sign off', actionId: SIGN_OFF_ACTION, value: handle.workflowId }]);

  // Reminders in the thread, each naming the reviewers who may sign off (never the breaker).
  const seen = await eventually('two reminders', () => reminders(stack.sandbox, review).length >= 2 && reminders(stack.sandbox, review), 20_000);
  for (const r of seen) {
    expect(r.text).toContain(`<@${REVIEWER}>`);
    expect(r.text).not.toContain(`<@${BREAKER}>`);
  }

  // Someone outside the reviewers, and the breaker, are refused and told so privately; the review stays open.
  await clickSignOff(OUTSIDER, approvalId);
  await told(OUTSIDER, 'Not recorded: you are not a reviewer of this break-glass (reviewer groups: change-review).');
  await clickSignOff(BREAKER, approvalId);
  await told(BREAKER, 'Not recorded: you broke the glass, so someone else must review it.');
  const open = await handle.query(reviewStateQuery);
  expect(open.status).toBe('open');
  expect(open.refused.map((r) => [r.user.id, r.via])).toEqual([
    [OUTSIDER, 'slack'],
    [BREAKER, 'slack'],
  ]);
  expect(buttons(reviewMessage(stack.sandbox, execution)!)).toHaveLength(1);
  const described = await handle.describe();
  expect(described.typedSearchAttributes.get(SA.breakGlass)).toBe('review-open');
  expect(described.typedSearchAttributes.get(SA.kind)).toBe('review');
  // The README's query for the break-glasses nobody has reviewed yet finds it.
  await eventually('the review among the unreviewed', async () => (await listed(UNREVIEWED, handle.workflowId)) === 1);

  // A reviewer signs off: the message says so and loses its button; the run returns its record.
  await clickSignOff(REVIEWER, approvalId);
  await told(REVIEWER, 'Your sign-off is recorded: the break-glass review is closed.');
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'signed-off', signedOff: { user: { id: REVIEWER }, via: 'slack', groups: ['change-review'] }, notified: { approvers: SKIPPED, incidentChannels: [INCIDENT_CHANNEL] } });
  expect(result.problems).toBeUndefined();
  const final = reviewMessage(stack.sandbox, execution)!;
  expect(buttons(final)).toEqual([]);
  expect(visibleText(final)).toContain(`Signed off by <@${REVIEWER}>`);
  expect(final.text).toContain(`signed off: api › production (${execution}) — by <@${REVIEWER}>`);

  const closed = await handle.describe();
  expect(closed.typedSearchAttributes.get(SA.breakGlass)).toBe('signed-off');
  expect(closed.typedSearchAttributes.get(SA.status)).toBe('signed-off');
  await eventually('the review among the reviewed', async () => (await listed("SignalroomKind = 'review' AND SignalroomBreakGlass = 'signed-off'", handle.workflowId)) === 1);
  expect(await listed(UNREVIEWED, handle.workflowId)).toBe(0);
  // The run is over: every reminder it posted is in the thread once, and the notes were sent once each.
  const thread = reminders(stack.sandbox, final);
  expect(thread).toHaveLength(result.reminders);
  expect(new Set(thread.map((r) => r.ts)).size).toBe(result.reminders);
  const after = await notes(approvalId);
  expect(Object.values(after.dms).map((m) => m.length)).toEqual([1, 1]);
  expect(after.incident).toHaveLength(1);
  expect(stack.sandbox.violations()).toEqual([]);
});

test('the API: read with approvals:read, sign off with approvals:decide as the token\u2019s own user; the breaker\u2019s token is refused', async () => {
  const approvalId = uniqueApprovalId('api');
  const handle = await startReview(stack, reviewInput(approvalId, { remindEveryMs: 60_000 }));
  await posted(approvalId);
  const id = encodeURIComponent(approvalId);

  const view = await stack.api('GET', `/reviews/${id}`, TOKENS.reader);
  expect(view.status).toBe(200);
  expect(view.body).toMatchObject({ id: handle.workflowId, approvalId, status: 'open', breakGlass: { by: BREAKER, overrode: ['INC-7 (SEV1, checkout)'] }, reviewers: { 'change-review': ['U0ALICE', 'U0BOB'] } });

  expect((await stack.api('POST', `/reviews/${id}/sign-off`, TOKENS.reader, {})).status).toBe(403);
  const asSomeoneElse = await stack.api('POST', `/reviews/${id}/sign-off`, TOKENS.erin, { user: REVIEWER });
  expect(asSomeoneElse).toMatchObject({ status: 403, body: { message: expect.stringContaining('signs off as U0ERIN only') } });
  const byBreaker = await stack.api('POST', `/reviews/${id}/sign-off`, TOKENS.bob, { note: 'all fine' });
  expect(byBreaker).toMatchObject({ status: 409, body: { error: 'refused', message: 'Not recorded: you broke the glass, so someone else must review it.' } });
  const byOutsider = await stack.api('POST', `/reviews/${id}/sign-off`, TOKENS.erin, {});
  expect(byOutsider).toMatchObject({ status: 409, body: { message: expect.stringContaining('you are not a reviewer') } });

  const ok = await stack.api('POST', `/reviews/${id}/sign-off`, TOKENS.alice, { note: 'Checked the diff: only the fix' });
  expect(ok).toMatchObject({ status: 200, body: { accepted: true, status: 'signed-off' } });
  await handle.result();
  const done = await stack.api('GET', `/reviews/${id}`, TOKENS.reader);
  expect(done.body).toMatchObject({ status: 'signed-off', signedOff: { user: { id: REVIEWER }, via: 'api', note: 'Checked the diff: only the fix', by: { token: 'alice' } } });
  expect((done.body.refused as Array<{ user: { id: string }; by?: { token: string } }>).map((r) => [r.user.id, r.by?.token])).toEqual([
    [BREAKER, 'bob'],
    [OUTSIDER, 'erin'],
  ]);
  expect(visibleText(reviewMessage(stack.sandbox, executionOf(approvalId))!)).toContain(`Signed off by <@${REVIEWER}>*: Checked the diff: only the fix`);

  const late = await stack.api('POST', `/reviews/${id}/sign-off`, TOKENS.anyone, { user: 'U0ALICE' });
  expect(late).toMatchObject({ status: 409, body: { message: `Not recorded: this review is already signed off by ${REVIEWER}.` } });
  expect((await stack.api('GET', `/reviews/${encodeURIComponent('approval:none:none:none')}`, TOKENS.reader)).status).toBe(404);
});

interface Run {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
}

function cli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/signalroom.js'), 'review', ...args], {
    cwd: dir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: process.env.SIGNALROOM_TEST_TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: process.env.SIGNALROOM_TEST_NAMESPACE ?? 'default',
      SIGNALROOM_TASK_QUEUE: stack.worker.taskQueue,
      SIGNALROOM_CONFIG: path.join(dir, 'signalroom.yaml'),
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return { code: new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1))), stdout: () => out, stderr: () => err };
}

// Seven CLI processes, each loading the CLI and connecting: slow on a loaded machine, so a longer timeout.
test('the CLI: show exits 4 while open, a refused sign-off exits 5, a reviewer\u2019s exits 0 and show then exits 0 with the record', async () => {
  const approvalId = uniqueApprovalId('cli');
  const handle = await startReview(stack, reviewInput(approvalId, { remindEveryMs: 60_000 }));
  await posted(approvalId);

  const open = cli(['show', approvalId]);
  expect(await open.code).toBe(4);
  expect(open.stdout()).toContain(`${handle.workflowId}: open`);
  expect(open.stdout()).toContain(`glass broken by ${BREAKER}`);
  expect(open.stdout()).toContain('Overrode: INC-7 (SEV1, checkout)');

  const nobody = cli(['sign-off', approvalId]);
  expect(await nobody.code).toBe(64);
  expect(nobody.stderr()).toContain('--as <user> is required');

  const breaker = cli(['sign-off', approvalId, '--as', BREAKER, '--note', 'fine by me']);
  expect(await breaker.code).toBe(5);
  expect(breaker.stdout()).toContain('Not recorded: you broke the glass, so someone else must review it.');

  const reviewer = cli(['sign-off', approvalId, '--as', REVIEWER, '--note', 'Rolled forward cleanly']);
  expect(await reviewer.code).toBe(0);
  expect(reviewer.stdout()).toContain('Your sign-off is recorded');
  await handle.result();

  const shown = cli(['show', approvalId]);
  expect(await shown.code).toBe(0);
  expect(shown.stdout()).toContain(`${handle.workflowId}: signed-off`);
  expect(shown.stdout()).toMatch(new RegExp(`Signed off by ${REVIEWER} \\(operator [^)]+\\) via cli at \\S+: Rolled forward cleanly`));
  expect(shown.stdout()).toMatch(new RegExp(`Refused sign-off from ${BREAKER} \\(operator [^)]+\\) via cli: you broke the glass`));

  // Through the API, the same lines and exit code.
  const viaApi = cli(['show', approvalId, '--api', stack.serverUrl, '--token', TOKENS.reader, '--json']);
  expect(await viaApi.code).toBe(0);
  expect(JSON.parse(viaApi.stdout())).toMatchObject({ status: 'signed-off', signedOff: { user: { id: REVIEWER }, via: 'cli', note: 'Rolled forward cleanly' } });
  const lateViaApi = cli(['sign-off', approvalId, '--api', stack.serverUrl, '--token', TOKENS.alice]);
  expect(await lateViaApi.code).toBe(5);
  expect(lateViaApi.stdout()).toContain('Not recorded: this review is already signed off');
}, 120_000);

test('a review that reminds for a long time continues as new, keeps one key per reminder, and is still signed off', async () => {
  const approvalId = uniqueApprovalId('long');
  // A history limit of one event: the run continues as new after every reminder.
  const handle = await startReview(stack, reviewInput(approvalId, { remindEveryMs: 1_000, historyLimit: 1, skippedApprovers: [], incidentChannels: [] }));
  const review = await posted(approvalId);
  await eventually('three reminders', () => reminders(stack.sandbox, review).length >= 3, 20_000);
  const firstRun = handle.firstExecutionRunId;
  const continued = await handle.describe();
  expect(continued.runId).not.toBe(firstRun);
  // The continued run is still found as unreviewed.
  expect(continued.typedSearchAttributes.get(SA.breakGlass)).toBe('review-open');
  expect(continued.typedSearchAttributes.get(SA.kind)).toBe('review');

  const ok = await stack.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.alice, {});
  expect(ok.status).toBe(200);
  const result = await handle.result();
  expect(result.status).toBe('signed-off');
  const thread = reminders(stack.sandbox, review);
  expect(thread).toHaveLength(result.reminders);
  expect(new Set(thread.map((r) => r.ts)).size).toBe(thread.length);
  expect(buttons(reviewMessage(stack.sandbox, executionOf(approvalId))!)).toEqual([]);
  expect((await handle.describe()).typedSearchAttributes.get(SA.breakGlass)).toBe('signed-off');
});

test('reviewer groups that cannot be resolved leave the review open, saying so in its reminders and its problems', async () => {
  const approvalId = uniqueApprovalId('nogroup');
  const handle = await startReview(stack, reviewInput(approvalId, { reviewerGroups: ['no-such-group'], skippedApprovers: [], incidentChannels: [] }));
  const review = await posted(approvalId);
  const [reminder] = await eventually('a reminder', () => reminders(stack.sandbox, review).length >= 1 && reminders(stack.sandbox, review));
  expect(reminder.text).toContain('the reviewer groups (no-such-group), which name nobody who may sign off: check the configuration');
  const view = await stack.api('GET', `/reviews/${encodeURIComponent(approvalId)}`, TOKENS.reader);
  expect(view.body).toMatchObject({ status: 'open', reviewers: {}, problems: [expect.stringContaining('reviewers: not resolved: Unknown approver group "no-such-group"')] });
  const refused = await stack.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.alice, {});
  expect(refused).toMatchObject({ status: 409, body: { message: 'Not recorded: you are not a reviewer of this break-glass (reviewer groups: no-such-group).' } });
  await handle.terminate('test over');
});
