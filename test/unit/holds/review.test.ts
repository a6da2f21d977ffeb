/**
 * The break-glass review's rules (core/holds/review.ts) and messages
 * (core/slack/blocks/break-glass-review.ts): who may sign off, what an
 * input may hold, how refusals are bounded, and that text from outside is
 * shown as text.
 */
import { judgeSignOff, recordSignOffRefusal, refusalAnswered, reviewInputProblem, reviewWorkflowId, whoMaySignOff, type BreakGlassReviewInput, type ReviewState } from '../../../core/holds/review';
import { incidentChannelText, reviewBlocks, reviewReminderText, reviewText, SIGN_OFF_ACTION, skippedApproverText } from '../../../core/slack/blocks/break-glass-review';
import { REFUSALS_KEPT } from '../../../core/approval/policy';

const input: BreakGlassReviewInput = {
  approvalId: 'approval:api:production:42',
  approval: { pipeline: 'api', stage: 'production', execution: '42' },
  breakGlass: { by: 'U0BOB', reason: 'ship the fix', at: '2026-11-25T10:00:00.000Z', overrode: ['INC-7 (SEV1, checkout)'] },
  reviewerGroups: ['change-review'],
  channel: 'C0REVIEW',
  integration: 'organization',
  remindEveryMs: 86_400_000,
  skippedApprovers: ['U0CAROL'],
  incidentChannels: [{ channel: 'C0INCIDENTS' }],
};

function state(overrides: Partial<ReviewState> = {}): ReviewState {
  return {
    workflowId: reviewWorkflowId(input.approvalId),
    approvalId: input.approvalId,
    status: 'open',
    approval: input.approval,
    breakGlass: input.breakGlass,
    reviewerGroups: ['change-review'],
    reviewers: { 'change-review': ['U0ALICE', 'U0BOB'] },
    channel: 'C0REVIEW',
    integration: 'organization',
    openedAt: '2026-11-25T10:00:01.000Z',
    notified: { approvers: [], incidentChannels: [] },
    reminders: 0,
    refused: [],
    ...overrides,
  };
}

test('the review of an approval has one id', () => {
  expect(reviewWorkflowId('approval:api:production:42')).toBe('review:approval:api:production:42');
});

test('a reviewer signs off; the breaker, an outsider and anyone after the sign-off do not', () => {
  expect(judgeSignOff(state(), 'U0ALICE')).toEqual({ ok: true, groups: ['change-review'] });
  expect(judgeSignOff(state(), 'U0BOB')).toEqual({ ok: false, why: 'you broke the glass, so someone else must review it' });
  expect(judgeSignOff(state(), 'U0ERIN')).toEqual({ ok: false, why: 'you are not a reviewer of this break-glass (reviewer groups: change-review)' });
  const closed = state({ status: 'signed-off', signedOff: { user: { id: 'U0ALICE' }, at: 'x', via: 'slack', groups: ['change-review'] } });
  expect(judgeSignOff(closed, 'U0ALICE')).toEqual({ ok: false, why: 'this review is already signed off by U0ALICE' });
  // A group named like an Object.prototype key is a group, never a way in.
  expect(judgeSignOff(state({ reviewers: {} }), 'constructor')).toMatchObject({ ok: false });
  expect(whoMaySignOff(state())).toEqual(['U0ALICE']);
});

test('an input nobody should send is refused, naming what is wrong', () => {
  expect(reviewInputProblem(input)).toBeUndefined();
  expect(reviewInputProblem({ ...input, remindEveryMs: 10 })).toMatch(/between 1000 and/);
  expect(reviewInputProblem({ ...input, remindEveryMs: Number.NaN })).toMatch(/whole number/);
  expect(reviewInputProblem({ ...input, reviewerGroups: [] })).toMatch(/at least one reviewer group/);
  expect(reviewInputProblem({ ...input, skippedApprovers: ['#general'] })).toBe('a skipped approver must be a Slack user id, got "#general"');
  expect(reviewInputProblem({ ...input, skippedApprovers: Array.from({ length: 101 }, (_, i) => `U0${i}AA`) })).toMatch(/at most 100/);
  expect(reviewInputProblem({ ...input, incidentChannels: [{ channel: '<!channel>' }] })).toMatch(/channel id or name/);
  expect(reviewInputProblem({ ...input, breakGlass: undefined as never })).toBe('a review needs who broke the glass');
  expect(reviewInputProblem({ ...input, approval: { pipeline: 'api' } as never })).toMatch(/pipeline, stage and execution/);
});

test('refusals are bounded: the latest kept, a count per person, a flood unanswered', () => {
  const s = state();
  let count = 0;
  for (let i = 0; i < REFUSALS_KEPT + 5; i++) count = recordSignOffRefusal(s, { user: { id: 'U0ERIN' }, at: String(i), via: 'slack', why: 'no' });
  expect(s.refused).toHaveLength(REFUSALS_KEPT);
  expect(s.refused[0].at).toBe('5');
  expect(s.refusedCounts).toEqual({ U0ERIN: REFUSALS_KEPT + 5 });
  expect(refusalAnswered(count)).toBe(false);
  expect(refusalAnswered(recordSignOffRefusal(s, { user: { id: 'U0DAVE' }, at: 'x', via: 'api', why: 'no' }))).toBe(true);
  // Not a user id: counted with everyone else, never answered.
  expect(refusalAnswered(recordSignOffRefusal(s, { user: { id: 'not-a-user' }, at: 'x', via: 'slack', why: 'no' }))).toBe(false);
});

test('the messages show the reason and labels as text, mention people by id only, and the button names the review', () => {
  const hostile = state({
    breakGlass: { ...input.breakGlass, reason: 'fix <!channel> <https://evil.example|https://status.example.com>\n*Approved by security*', overrode: ['<@U0CEO> freeze'] },
    approval: { ...input.approval, summary: '<!here> deploy' },
  });
  const all = JSON.stringify([reviewBlocks(hostile), reviewText(hostile), skippedApproverText(hostile), incidentChannelText(hostile, '<!everyone>')]);
  expect(all).not.toMatch(/<!channel>|<!here>|<!everyone>|<https:\/\/evil|<@U0CEO>/);
  expect(all).toContain('&lt;!channel&gt;');
  // Every line of the reason stays inside the quote: a line break cannot pass off text as Signalroom's own.
  expect(all).toContain('>fix &lt;!channel&gt;');
  expect(all).toContain('\\n>*Approved by security*');
  const blocks = reviewBlocks(hostile);
  const actions = blocks.find((b) => b.type === 'actions') as unknown as { elements: Array<{ action_id: string; value: string }> };
  expect(actions.elements).toEqual([expect.objectContaining({ action_id: SIGN_OFF_ACTION, value: 'review:approval:api:production:42' })]);
  expect(reviewText(hostile)).toContain('<@U0BOB>');
});

test('once signed off, the message has no button and says who and their note', () => {
  const signed = state({ status: 'signed-off', signedOff: { user: { id: 'U0ALICE' }, note: 'ok <!here>', at: '2026-11-26T09:00:00.000Z', via: 'cli', groups: ['change-review'] } });
  const blocks = reviewBlocks(signed);
  expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  expect(JSON.stringify(blocks)).toContain('Signed off by <@U0ALICE>*: ok &lt;!here&gt;');
  expect(reviewText(signed)).toBe(':white_check_mark: Break-glass review signed off: api › production (42) — by <@U0ALICE>');
});

test('a reminder mentions who may sign off, or says the groups name nobody', () => {
  expect(reviewReminderText(state(), ['U0ALICE'])).toBe(':bell: Reminder: this break-glass review is still open. <@U0ALICE> — please review it and sign it off.');
  expect(reviewReminderText(state(), [])).toContain('which name nobody who may sign off');
});

test('the notes name where the review is: a channel link for an id, the name otherwise', () => {
  expect(skippedApproverText(state())).toContain('The review is in <#C0REVIEW>.');
  expect(skippedApproverText(state({ channel: '#change-review' }))).toContain('The review is in #change-review.');
  expect(incidentChannelText(state(), 'INC-7')).toContain('goes on despite the hold of INC-7');
});
