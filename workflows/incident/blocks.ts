/**
 * Runbook blocks (`- Type: section` / `Text:`) as Slack Block Kit. Pure.
 */
import type { MessageBlock } from '../../src/runbook/types';

export function toBlockKit(blocks: MessageBlock[] | undefined, render: (t: string) => string): Array<Record<string, unknown>> | undefined {
  if (!blocks?.length) return undefined;
  return blocks.map((b) => {
    switch (b.type) {
      case 'header':
        return { type: 'header', text: { type: 'plain_text', text: render(b.text).slice(0, 150), emoji: true } };
      case 'context':
        return { type: 'context', elements: [{ type: 'mrkdwn', text: render(b.text) }] };
      case 'divider':
        return { type: 'divider' };
      case 'image':
        return {
          type: 'image',
          image_url: render(b.imageUrl),
          alt_text: render(b.altText).slice(0, 2000),
          ...(b.title !== undefined && { title: { type: 'plain_text', text: render(b.title).slice(0, 2000) } }),
        };
      case 'section': {
        const block: Record<string, unknown> = { type: 'section' };
        if (b.text !== undefined) block.text = { type: 'mrkdwn', text: render(b.text) };
        if (b.fields?.length) block.fields = b.fields.map((f) => ({ type: 'mrkdwn', text: render(f) }));
        return block;
      }
    }
  });
}
