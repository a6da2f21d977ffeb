/**
 * An incident action item as a Slack message: its text, owner and state,
 * with a Done button while it is open. Pure: the incident workflow builds it.
 */
import type { ActionItem } from '../../../workflows/incident/types';
import { USER_GROUP_ID, userGroupMention } from '../mrkdwn';

/** The Done button's action id: `signalroom:<feature>:<verb>`, routed by the server to `incidentTaskClick`. */
export const TASK_DONE_ACTION = 'signalroom:task:done';

/** Text from people is data, never markup. */
function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Only a validated Slack user id becomes a mention; anything else is shown as written. */
export function personText(who: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(who) ? `<@${who}>` : escapeText(who);
}

/** The owner as a mention when Slack knew them (a person or a user group), else as written. */
function ownerText(item: ActionItem): string {
  if (item.ownerId) return USER_GROUP_ID.test(item.ownerId) ? userGroupMention(item.ownerId) : personText(item.ownerId);
  return personText(item.owner ?? '');
}

/** One line naming the item, for reminders and summaries: `#2 Roll back the config (owner <@U0ALICE>)`. */
export function actionItemLine(item: ActionItem): string {
  return `#${item.id} ${escapeText(item.text)}${item.owner ? ` (owner ${ownerText(item)})` : ''}`;
}

export function actionItemMessage(item: ActionItem, workflowId: string): { text: string; blocks: Array<Record<string, unknown>> } {
  const line = actionItemLine(item);
  if (item.status === 'done') {
    const text = `:white_check_mark: Action item ~${line}~ done${item.doneBy ? ` by ${personText(item.doneBy)}` : ''}`;
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
