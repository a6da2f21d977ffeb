/**
 * A runbook message's headline as a block. When a message has blocks, Slack
 * shows only the blocks and uses `text` as the notification fallback, so a
 * step's Message would be invisible next to its Blocks: it is shown as the
 * first block instead (and stays the notification text). The block carries a
 * known block_id so an update that changes only the Message can find it and
 * leave the other blocks as they are. Pure.
 */

import type { SlackBlock } from './block';

type Block = Record<string, unknown>;

export const HEADLINE_BLOCK_ID = 'signalroom_headline';

/** Slack's limit on a section's text. */
const SECTION_TEXT_MAX = 3000;

export function headlineBlock(text: string): SlackBlock {
  return { type: 'section', block_id: HEADLINE_BLOCK_ID, text: { type: 'mrkdwn', text: text.slice(0, SECTION_TEXT_MAX) } };
}

/**
 * The message's blocks with the headline's text replaced, or undefined when
 * it has no headline block (then its blocks stay as they are).
 */
export function withHeadline(blocks: Block[] | undefined, text: string): Block[] | undefined {
  if (!blocks?.some((b) => b.block_id === HEADLINE_BLOCK_ID)) return undefined;
  return blocks.map((b) => (b.block_id === HEADLINE_BLOCK_ID ? headlineBlock(text) : b));
}
