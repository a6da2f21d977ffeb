/**
 * The `Blocks:` field that message kinds share (its syntax is in
 * ./syntax.ts): from the file to MessageBlock in the model, what a schema
 * cannot check, and posting a step's message. Turning them into Block Kit is
 * core/incident/blocks.ts.
 */
import type { MessageBlock } from '../types';
import type { PostInput, StepRuntime } from './kind';
import type { SourceBlock } from './syntax';

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

/** Posts a step's message with its blocks, once per step (the step's idempotency key), tagged with the incident. */
export function postStepInput(rt: StepRuntime<'postMessage'>, step: { channel: string; text: string; blocks?: MessageBlock[] }, thread: { threadTs?: string; replyBroadcast?: boolean } = {}): PostInput {
  return {
    integration: rt.integration,
    channel: rt.channel(step.channel),
    text: rt.mrkdwn(step.text),
    blocks: rt.blocks(step.blocks, step.text),
    ...thread,
    idempotencyKey: rt.idempotencyKey,
    metadata: { incident: rt.incident.id ?? '' },
  };
}
