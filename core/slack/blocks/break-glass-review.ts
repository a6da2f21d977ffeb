/**
 * What a break-glass says in Slack: the review message (Block Kit) with its
 * Sign off button, its reminders, the direct message to each approver it
 * skipped and the note in each incident channel it overrode. Pure (the
 * review workflow builds them); every value from outside is escaped
 * (core/slack/mrkdwn.ts), people and channels are mentioned only by id.
 */
import type { ReviewState } from '../../holds/review';
import { CHANNEL_ID, channelLink, escapeMrkdwn as esc, mrkdwnLink, slackDate, userMention } from '../mrkdwn';
import type { SlackBlock } from './block';

export const SIGN_OFF_ACTION = 'signalroom:review:sign-off';

/** Slack's limit on a section's text. */
const SECTION_TEXT_MAX = 3000;

function plain(text: string, max = 150): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true };
}

const clip = (text: string, max = SECTION_TEXT_MAX) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

type Subject = Pick<ReviewState, 'approval' | 'breakGlass'>;

/** `api › production (1234)`, escaped. */
function what(s: Subject): string {
  return `${esc(s.approval.pipeline)} › ${esc(s.approval.stage)} (${esc(s.approval.execution)})`;
}

/** The reason as a quote: each of its lines quoted, so a line break cannot end the quote and pass as Signalroom's own text. */
function quoted(reason: string, max = 1500): string {
  return clip(reason, max)
    .split('\n')
    .map((line) => `>${esc(line)}`)
    .join('\n');
}

/** The holds it overrode, by label, escaped. */
function overrode(s: Subject): string {
  return s.breakGlass.overrode.length ? s.breakGlass.overrode.map(esc).join(', ') : 'no hold (its approvers only)';
}

/** Where the review is, as a person reads it: a channel link for an id, else the name given. */
function reviewPlace(channel: string): string {
  return CHANNEL_ID.test(channel) ? channelLink(channel) : esc(channel.startsWith('#') ? channel : `#${channel}`);
}

/** The one-line text Slack shows in notifications and where blocks cannot render. */
export function reviewText(state: ReviewState): string {
  if (state.status === 'signed-off' && state.signedOff) {
    return `:white_check_mark: Break-glass review signed off: ${what(state)} — by ${userMention(state.signedOff.user.id)}`;
  }
  return `:rotating_light: Break-glass review: ${userMention(state.breakGlass.by)} overrode ${overrode(state)} for ${what(state)}`;
}

/** The review message: who broke the glass, why, what it overrode; while open a Sign off button, once signed off who signed and their note. */
export function reviewBlocks(state: ReviewState): SlackBlock[] {
  const a = state.approval;
  const bg = state.breakGlass;
  const blocks: SlackBlock[] = [
    { type: 'header', text: plain(`${state.status === 'open' ? 'Break-glass review' : 'Break-glass review signed off'}: ${a.pipeline} › ${a.stage}`) },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`${userMention(bg.by)} broke the glass ${slackDate(bg.at)} to let ${what(state)} go on${a.permalink ? ` (${mrkdwnLink(a.permalink, 'the approval')})` : ''}.\n*Reason*\n${quoted(bg.reason)}`),
      },
    },
  ];
  if (a.summary) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(esc(a.summary)) } });
  blocks.push({
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: clip(`*Overrode*\n${overrode(state)}`, 2000) },
      { type: 'mrkdwn', text: clip(`*Reviewers*\n${state.reviewerGroups.map((g) => `\`${esc(g)}\``).join(', ')}`, 2000) },
    ],
  });
  if (state.status === 'open' || !state.signedOff) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'A reviewer other than the person who broke the glass signs this off. Reminders follow in the thread until then.' }] });
    blocks.push({
      type: 'actions',
      block_id: 'signalroom-review-actions',
      elements: [{ type: 'button', style: 'primary', text: plain('Sign off'), action_id: SIGN_OFF_ACTION, value: state.workflowId }],
    });
    return blocks;
  }
  const s = state.signedOff;
  blocks.push({ type: 'divider' });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*:white_check_mark: Signed off by ${userMention(s.user.id)}*${s.note ? `: ${esc(s.note)}` : ''}\n${slackDate(s.at)}`) } });
  return blocks;
}

/** A reminder in the review's thread: the reviewers who may sign off, by mention. */
export function reviewReminderText(state: ReviewState, reviewers: string[]): string {
  const who = reviewers.length ? reviewers.map(userMention).join(' ') : `the reviewer groups (${state.reviewerGroups.map(esc).join(', ')}), which name nobody who may sign off: check the configuration`;
  return `:bell: Reminder: this break-glass review is still open. ${who} — please review it and sign it off.`;
}

/** The direct message to an approver the break-glass skipped. */
export function skippedApproverText(state: ReviewState): string {
  const bg = state.breakGlass;
  const link = state.approval.permalink ? ` (${mrkdwnLink(state.approval.permalink, 'the approval')})` : '';
  return clip(
    `:rotating_light: ${userMention(bg.by)} broke the glass on ${what(state)}${link}, which was waiting for your approval: it goes on without it. It overrode ${overrode(state)}.\n*Reason*\n${quoted(bg.reason)}\nThe review is in ${reviewPlace(state.channel)}.`,
  );
}

/** The note in an incident channel whose hold the break-glass overrode. */
export function incidentChannelText(state: ReviewState, label?: string): string {
  const bg = state.breakGlass;
  return clip(
    `:rotating_light: ${userMention(bg.by)} broke the glass: ${what(state)} goes on despite ${label ? `the hold of ${esc(label)}` : 'this incident\u2019s hold'}.\n*Reason*\n${quoted(bg.reason)}\nThe review is in ${reviewPlace(state.channel)}.`,
  );
}
