/**
 * Attack: break the glass, then sign off one's own review, so the override
 * is never looked at by anyone else. bob may break glass and is a member of
 * the reviewer group too; he tries the button, his own API token, a token
 * that may act as anyone, and Temporal's update as the CLI sends it. Each is
 * refused and recorded; the review stays open until someone else signs it off.
 */
import { SIGN_OFF_ACTION } from '../../../core/slack/blocks/break-glass-review';
import { reviewSignOffUpdate, reviewStateQuery } from '../../../workflows/messages';
import { BREAKER, buttons, eventually, REVIEW_CHANNEL, REVIEWER, reviewInput, reviewMessage, reviewStack, startReview, toldTo, TOKENS, uniqueApprovalId, type ReviewStack } from '../../support/reviews';

let s: ReviewStack;
beforeAll(async () => {
  s = await reviewStack();
});
afterAll(() => s?.close());

test('whoever broke the glass cannot sign off its review, though a member of the reviewer groups', async () => {
  const approvalId = uniqueApprovalId('self');
  const execution = approvalId.split(':').at(-1)!;
  const handle = await startReview(s, reviewInput(approvalId, { remindEveryMs: 60_000 }));
  const review = await eventually('the review message', () => reviewMessage(s.sandbox, execution));
  const refused = 'Not recorded: you broke the glass, so someone else must review it.';
  // bob is a reviewer: only the self-review rule stands in his way.
  expect((await handle.query(reviewStateQuery)).reviewers['change-review']).toContain(BREAKER);

  expect((await s.sandbox.click({ userId: BREAKER, channelId: REVIEW_CHANNEL, messageTs: review.ts, actionId: SIGN_OFF_ACTION })).response.status).toBe(200);
  await eventually('bob to be told', () => toldTo(s.sandbox, BREAKER, REVIEW_CHANNEL).find((t) => t === refused));
  expect(await s.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.bob, { note: 'reviewed it myself' })).toMatchObject({ status: 409, body: { message: refused } });
  expect(await s.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.anyone, { user: BREAKER })).toMatchObject({ status: 409, body: { message: refused } });
  expect(await handle.executeUpdate(reviewSignOffUpdate, { args: [{ user: { id: BREAKER, name: 'Someone Else' }, via: 'cli' }] })).toEqual({ accepted: false, message: refused, status: 'open' });

  const state = await handle.query(reviewStateQuery);
  expect(state.status).toBe('open');
  expect(state.refused.map((r) => [r.user.id, r.via])).toEqual([
    [BREAKER, 'slack'],
    [BREAKER, 'api'],
    [BREAKER, 'api'],
    [BREAKER, 'cli'],
  ]);
  expect(buttons(reviewMessage(s.sandbox, execution)!).map((b) => b.actionId)).toEqual([SIGN_OFF_ACTION]);

  expect(await s.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.alice, {})).toMatchObject({ status: 200 });
  expect((await handle.result()).signedOff?.user.id).toBe(REVIEWER);
});
