/**
 * The `Blocks:` field that message kinds share: `- Type: section` / `Text:`
 * in the file, MessageBlock in the model. Turning them into Block Kit is
 * workflows/incident/blocks.ts.
 */
import { z } from 'zod';
import type { MessageBlock } from '../types';
import { channel, text, type StepRuntime } from './kind';

export const BlockSchema = z.discriminatedUnion(
  'Type',
  [
    z.object({ Type: z.literal('section'), Text: text('mrkdwn text; templates allowed.').optional(), Fields: z.array(text('mrkdwn text; templates allowed.')).optional() }).strict(),
    z.object({ Type: z.literal('header'), Text: text('Plain text; templates allowed.') }).strict(),
    z.object({ Type: z.literal('context'), Text: text('mrkdwn text; templates allowed.') }).strict(),
    z.object({ Type: z.literal('divider') }).strict(),
    z
      .object({
        Type: z.literal('image'),
        ImageUrl: text('An http(s) URL of the image, e.g. a dashboard panel render; templates allowed.'),
        AltText: text('What the image shows, for screen readers and notifications; templates allowed.'),
        Title: text('A title shown above the image; templates allowed.').optional(),
      })
      .strict(),
  ],
  { error: 'a block has `Type: section`, `header`, `context`, `divider` or `image`' },
);

export const blocks = z.array(BlockSchema).describe('Block Kit blocks: `- Type: section` with `Text:`.');

export type SourceBlock = z.infer<typeof BlockSchema>;

export function normalizeBlocks(blocks: SourceBlock[] | undefined): MessageBlock[] | undefined {
  if (!blocks) return undefined;
  return blocks.map((b): MessageBlock => {
    switch (b.Type) {
      case 'section':
        return { type: 'section', ...(b.Text !== undefined && { text: b.Text }), ...(b.Fields !== undefined && { fields: b.Fields }) };
      case 'header':
        return { type: 'header', text: b.Text };
      case 'context':
        return { type: 'context', text: b.Text };
      case 'divider':
        return { type: 'divider' };
      case 'image':
        return { type: 'image', imageUrl: b.ImageUrl, altText: b.AltText, ...(b.Title !== undefined && { title: b.Title }) };
    }
  });
}

/** What a schema cannot say about blocks: a section needs Text or Fields; an image URL as written is http(s). */
export function checkBlocks(blocks: SourceBlock[] | undefined, report: (field: string, message: string) => void, isLiteral: (value: string) => boolean): void {
  blocks?.forEach((b, i) => {
    if (b.Type === 'section' && b.Text === undefined && b.Fields === undefined) report(`Blocks[${i}]`, 'a section block needs Text or Fields');
    if (b.Type === 'image' && isLiteral(b.ImageUrl) && !/^https?:\/\/\S+$/.test(b.ImageUrl)) report(`Blocks[${i}].ImageUrl`, `"${b.ImageUrl}" is not an http(s) URL`);
  });
}

/** The fields every posting kind shares: where, what, and its blocks. */
export const messageFields = (what: string) => ({ Channel: channel.optional(), Message: text(what), Blocks: blocks.optional() });

/** Posts a step's message with its blocks, once per step (the step's idempotency key), tagged with the incident. */
export function postStepMessage(rt: StepRuntime, step: { channel: string; text: string; blocks?: MessageBlock[] }, thread: { threadTs?: string; replyBroadcast?: boolean } = {}) {
  return rt.slack.postMessage({
    integration: rt.integration,
    channel: rt.channel(step.channel),
    text: rt.mrkdwn(step.text),
    blocks: rt.blocks(step.blocks, step.text),
    ...thread,
    idempotencyKey: rt.idempotencyKey,
    metadata: { incident: rt.incident.id ?? '' },
  });
}
