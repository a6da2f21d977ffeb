/**
 * Attack: sign off a break-glass review with a click that is not on the
 * review's message. A copy of its Sign off button (same action id, the
 * review's workflow id as value) posted into #deploys by an incoming
 * webhook, which a real reviewer clicks there; and a click signed by the
 * right app that claims another channel, or another message of the review
 * channel. Each is refused and answered privately through its own
 * response_url; the review stays open.
 */
import { SIGN_OFF_ACTION } from '../../../core/slack/blocks/break-glass-review';
import { reviewStateQuery } from '../../../workflows/messages';
import { clickPayload, formOf } from '../../support/security';
import { buttons, eventually, REVIEW_CHANNEL, REVIEWER, reviewInput, reviewMessage, reviewStack, startReview, TOKENS, uniqueApprovalId, type ReviewStack } from '../../support/reviews';

let s: ReviewStack;
beforeAll(async () => {
  s = await reviewStack();
});
afterAll(() => s?.close());

const DEPLOYS = 'C0DEPLOYS';

test('a copy of the Sign off button in another channel, clicked by a reviewer, and signed clicks claiming another channel or message, are refused', async () => {
  const approvalId = uniqueApprovalId('forged');
  const execution = approvalId.split(':').at(-1)!;
  const handle = await startReview(s, reviewInput(approvalId, { remindEveryMs: 60_000 }));
  const review = await eventually('the review message', () => reviewMessage(s.sandbox, execution));

  // The copy: posted as the app's bot by an incoming webhook into #deploys, where alice is.
  const hook = s.sandbox.createIncomingWebhook(DEPLOYS);
  const copy = { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Sign off' }, action_id: SIGN_OFF_ACTION, value: handle.workflowId }] };
  expect((await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Please sign this off', blocks: [copy] }) })).status).toBe(200);
  const bait = await eventually('the copy in #deploys', () => s.sandbox.messages(DEPLOYS).find((m) => m.text === 'Please sign this off'));
  const click = await s.sandbox.click({ userId: REVIEWER, channelId: DEPLOYS, messageTs: bait.ts, actionId: SIGN_OFF_ACTION });
  expect(click.response.status).toBe(200);
  await eventually('alice to be told in #deploys', () => s.sandbox.ephemerals({ channelId: DEPLOYS, userId: REVIEWER }).find((e) => e.text === `Not recorded: the click comes from channel ${DEPLOYS}, not the one this request was posted in.`));

  // Signed by the right app, naming the review's message but another channel; then the right channel but another message.
  const responseUrl = click.responseUrl;
  const elsewhere = clickPayload({ userId: REVIEWER, channel: DEPLOYS, messageTs: review.ts, actionId: SIGN_OFF_ACTION, value: handle.workflowId, responseUrl });
  expect((await s.slackPost('/slack/interactions', formOf(elsewhere), s.sandbox.signingSecret)).status).toBe(200);
  const otherMessage = clickPayload({ userId: REVIEWER, channel: REVIEW_CHANNEL, messageTs: '1700000000.000100', actionId: SIGN_OFF_ACTION, value: handle.workflowId, responseUrl });
  expect((await s.slackPost('/slack/interactions', formOf(otherMessage), s.sandbox.signingSecret)).status).toBe(200);

  const state = await eventually('three refusals', async () => {
    const st = await handle.query(reviewStateQuery);
    return st.refused.length === 3 && st;
  });
  expect(state.status).toBe('open');
  expect(state.refused.map((r) => r.why)).toEqual([
    `the click comes from channel ${DEPLOYS}, not the one this request was posted in`,
    `the click comes from channel ${DEPLOYS}, not the one this request was posted in`,
    'the click comes from another message than this request’s card',
  ]);
  expect(buttons(reviewMessage(s.sandbox, execution)!).map((b) => b.actionId)).toEqual([SIGN_OFF_ACTION]);
  // Nothing was said into the channel a click merely claimed.
  expect(s.sandbox.ephemerals({ channelId: REVIEW_CHANNEL, userId: REVIEWER })).toEqual([]);

  // The same reviewer, on the review itself, signs it off.
  expect(await s.api('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, TOKENS.alice, {})).toMatchObject({ status: 200 });
  expect((await handle.result()).status).toBe('signed-off');
});
