/**
 * Runbook blocks (`- Type: section` / `Text:`) as Slack Block Kit. Pure.
 */
import type { MessageBlock } from '../runbook/types';
import { headlineBlock } from '../slack/blocks/headline';
import type { SlackBlock } from '../slack/blocks/block';

/**
 * The step's blocks, headed by its Message when it has both: Slack shows only
 * the blocks of a message that has any, so the Message is shown as the first
 * block (and stays the notification text). `render` fills mrkdwn text (values
 * escaped); `renderPlain` fills plain_text (headers), where Slack shows text as is.
 */
export function toBlockKit(
  blocks: MessageBlock[] | undefined,
  render: (t: string) => string,
  options: { renderPlain?: (t: string) => string; message?: string } = {},
): SlackBlock[] | undefined {
  const renderPlain = options.renderPlain ?? render;
  const message = options.message;
  if (!blocks?.length) return undefined;
  const rendered = blocks.map((b) => {
    switch (b.type) {
      case 'header':
        return { type: 'header', text: { type: 'plain_text', text: renderPlain(b.text).slice(0, 150), emoji: true } };
      case 'context':
        return { type: 'context', elements: [{ type: 'mrkdwn', text: render(b.text) }] };
      case 'divider':
        return { type: 'divider' };
      case 'image':
        return {
          type: 'image',
          // A URL and plain text: values go in as they are (escaping would break the URL's &).
          image_url: renderPlain(b.imageUrl),
          alt_text: renderPlain(b.altText).slice(0, 2000),
          ...(b.title !== undefined && { title: { type: 'plain_text', text: renderPlain(b.title).slice(0, 2000) } }),
        };
      case 'section': {
        const block: SlackBlock = { type: 'section' };
        if (b.text !== undefined) block.text = { type: 'mrkdwn', text: render(b.text) };
        if (b.fields?.length) block.fields = b.fields.map((f) => ({ type: 'mrkdwn', text: render(f) }));
        return block;
      }
    }
  });
  const headline = message?.trim() ? render(message) : '';
  return headline ? [headlineBlock(headline), ...rendered] : rendered;
}
