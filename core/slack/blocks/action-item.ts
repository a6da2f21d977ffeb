/**
 * An incident action item as a Slack message: its text, owner and state,
 * with a Done button while it is open. Pure: the incident workflow builds it.
 */
import type { ActionItem } from '../../incident/types';
import { escapeMrkdwn as escapeText, USER_GROUP_ID, userGroupMention, userMention } from '../mrkdwn';
import type { SlackBlock } from './block';

/** The Done button's action id: `signalroom:<feature>:<verb>`, routed by the server to `incidentTaskClick`. */
export const TASK_DONE_ACTION = 'signalroom:task:done';


/** The owner as a mention when Slack knew them (a person or a user group), else as written. */
function ownerText(item: ActionItem): string {
  if (item.ownerId) return USER_GROUP_ID.test(item.ownerId) ? userGroupMention(item.ownerId) : userMention(item.ownerId);
  return userMention(item.owner ?? '');
}

/** One line naming the item, for reminders and summaries: `#2 Roll back the config (owner <@U0ALICE>)`. */
export function actionItemLine(item: ActionItem): string {
  return `#${item.id} ${escapeText(item.text)}${item.owner ? ` (owner ${ownerText(item)})` : ''}`;
}

/**
 * @param o.incidentResolved the incident was resolved: an item still open
 *   says so and loses its Done button, which could only answer that the
 *   incident already finished.
 */
export function actionItemMessage(item: ActionItem, workflowId: string, o: { incidentResolved?: boolean } = {}): { text: string; blocks: SlackBlock[] } {
  const line = actionItemLine(item);
  if (item.status === 'done') {
    const text = `:white_check_mark: Action item ~${line}~ done${item.doneBy ? ` by ${userMention(item.doneBy)}` : ''}`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  if (o.incidentResolved) {
    const text = `:ballot_box_with_check: Action item ${line} — still open when the incident was resolved`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const text = `:ballot_box_with_check: Action item ${line}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text },
        // The button's value names the incident's workflow; the message's ts names the item.
        accessory: { type: 'button', action_id: TASK_DONE_ACTION, text: { type: 'plain_text', text: 'Done' }, style: 'primary', value: workflowId },
      },
    ],
  };
}
