/**
 * Attack: close the review of a break-glass without a reviewer, so nobody
 * looks at it: sign it off as someone outside the reviewer groups — from
 * the review's own Sign off button, through the API with a token allowed to
 * act as anyone, straight through Temporal's update as the CLI sends it, and
 * as one of the very approvers the break-glass skipped. Each is refused,
 * recorded and answered; the review stays open and keeps its button.
 */
import { SIGN_OFF_ACTION } from '../../../core/slack/blocks/break-glass-review';
import { reviewSignOffUpdate, reviewStateQuery } from '../../../workflows/messages';
import { SA } from '../../../workflows/search-attributes';
import { buttons, eventually, OUTSIDER, REVIEW_CHANNEL, REVIEWER, reviewInput, reviewMessage, reviewStack, startReview, toldTo, TOKENS, uniqueApprovalId, type ReviewStack } from '../../support/reviews';

let s: ReviewStack;
beforeAll(async () => {
  s = await reviewStack();
});
afterAll(() => s?.close());

test('nobody outside the reviewer groups signs a break-glass review off, whatever way they try', async () => {
  const approvalId = uniqueApprovalId('outsider');
  const execution = approvalId.split(':').at(-1)!;
  const handle = await startReview(s, reviewInput(approvalId, { remindEveryMs: 60_000 }));
  const review = await eventually('the review message', () => reviewMessage(s.sandbox, execution));
  const notReviewer = 'you are not a reviewer of this break-glass (reviewer groups: change-review)';

  // The button, as erin.
  expect((await s.sandbox.click({ userId: OUTSIDER, channelId: REVIEW_CHANNEL, messageTs: review.ts, actionId: SIGN_OFF_ACTION })).response.status).toBe(200);
  await eventually('erin to be told', () => toldTo(s.sandbox, OUTSIDER, REVIEW_CHANNEL).find((t) => t === `Not recorded: ${notReviewer}.`));
  // The API, with a token that may name anyone.
  const api = await s.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.anyone, { user: OUTSIDER, note: 'looks fine' });
  expect(api).toMatchObject({ status: 409, body: { message: `Not recorded: ${notReviewer}.` } });
  // Temporal's update, as the CLI sends it.
  const cli = await handle.executeUpdate(reviewSignOffUpdate, { args: [{ user: { id: OUTSIDER }, via: 'cli', by: { operator: 'mallory@laptop' } }] });
  expect(cli).toEqual({ accepted: false, message: `Not recorded: ${notReviewer}.`, status: 'open' });
  // An approver the break-glass skipped is no reviewer either.
  const approver = await handle.executeUpdate(reviewSignOffUpdate, { args: [{ user: { id: 'U0CAROL' }, via: 'api' }] });
  expect(approver.accepted).toBe(false);

  const state = await handle.query(reviewStateQuery);
  expect(state.status).toBe('open');
  expect(state.signedOff).toBeUndefined();
  expect(state.refused.map((r) => [r.user.id, r.via, r.by])).toEqual([
    [OUTSIDER, 'slack', undefined],
    [OUTSIDER, 'api', { token: 'ops' }],
    [OUTSIDER, 'cli', { operator: 'mallory@laptop' }],
    ['U0CAROL', 'api', undefined],
  ]);
  expect(buttons(reviewMessage(s.sandbox, execution)!).map((b) => b.actionId)).toEqual([SIGN_OFF_ACTION]);
  expect((await handle.describe()).typedSearchAttributes.get(SA.breakGlass)).toBe('review-open');

  // A reviewer still can: the refusals were the rule, not a broken review.
  const ok = await handle.executeUpdate(reviewSignOffUpdate, { args: [{ user: { id: REVIEWER }, via: 'api' }] });
  expect(ok.accepted).toBe(true);
  expect((await handle.result()).signedOff?.user.id).toBe(REVIEWER);
});
