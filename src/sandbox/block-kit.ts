import { randomBytes } from 'node:crypto';

/**
 * Block Kit validation with Slack's limits and Slack's way of saying what is
 * wrong: `invalid_blocks` with `response_metadata.messages` like
 * `[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
 */

export const BLOCK_LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  imageUrl: 3000,
  altText: 2000,
  inputLabel: 2000,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
} as const;

export type BlocksProblem = { error: 'invalid_blocks' | 'invalid_blocks_format'; messages: string[] };

const MESSAGE_BLOCKS = new Set(['section', 'header', 'context', 'divider', 'actions', 'image', 'rich_text', 'markdown', 'file', 'video', 'input', 'context_actions']);
const VIEW_BLOCKS = new Set(['section', 'header', 'context', 'divider', 'actions', 'image', 'rich_text', 'markdown', 'input', 'video', 'file']);
const INTERACTIVE = new Set(['button', 'static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select', 'multi_static_select', 'multi_users_select', 'multi_conversations_select', 'multi_channels_select', 'overflow', 'datepicker', 'timepicker', 'datetimepicker', 'checkboxes', 'radio_buttons', 'plain_text_input', 'email_text_input', 'url_text_input', 'number_input', 'rich_text_input', 'workflow_button', 'image']);

/** Parses the `blocks` argument (a JSON string from form bodies, an array from JSON bodies). */
export function parseBlocks(raw: unknown): { blocks?: unknown[]; problem?: BlocksProblem } {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { problem: { error: 'invalid_blocks_format', messages: ['[ERROR] failed to parse blocks as JSON'] } };
    }
  }
  if (!Array.isArray(value)) return { problem: { error: 'invalid_blocks_format', messages: ['[ERROR] must provide an array [json-pointer:/blocks]'] } };
  return { blocks: value };
}

/** Validates blocks for a message (at most 50) or a view (at most 100). */
export function validateBlocks(blocks: unknown[], surface: 'message' | 'view' = 'message'): BlocksProblem | undefined {
  const v = new Validator();
  const max = surface === 'message' ? BLOCK_LIMITS.messageBlocks : BLOCK_LIMITS.viewBlocks;
  if (blocks.length > max) v.fail('/blocks', `no more than ${max} items allowed`);
  const allowed = surface === 'message' ? MESSAGE_BLOCKS : VIEW_BLOCKS;
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => v.block(block, `/blocks/${i}`, allowed, blockIds));
  return v.messages.length ? { error: 'invalid_blocks', messages: v.messages } : undefined;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

class Validator {
  messages: string[] = [];
  private actionIds = new Set<string>();

  fail(pointer: string, problem: string): void {
    this.messages.push(`[ERROR] ${problem} [json-pointer:${pointer}]`);
  }

  maxLength(value: unknown, max: number, pointer: string): void {
    if (typeof value === 'string' && value.length > max) this.fail(pointer, `must be less than ${max + 1} characters`);
  }

  text(value: unknown, pointer: string, opts: { max: number; plainOnly?: boolean; required?: boolean }): void {
    if (value === undefined) {
      if (opts.required) this.fail(pointer, 'must provide an object');
      return;
    }
    if (!isObj(value)) return this.fail(pointer, 'must provide an object');
    if (value.type !== 'plain_text' && value.type !== 'mrkdwn') return this.fail(`${pointer}/type`, 'must be a valid enum value');
    if (opts.plainOnly && value.type !== 'plain_text') return this.fail(`${pointer}/type`, 'must be plain_text');
    if (typeof value.text !== 'string') return this.fail(`${pointer}/text`, 'must be a string');
    if (value.text.length === 0) return this.fail(`${pointer}/text`, 'must be more than 0 characters');
    this.maxLength(value.text, opts.max, `${pointer}/text`);
  }

  block(block: unknown, pointer: string, allowed: Set<string>, blockIds: Set<string>): void {
    if (!isObj(block)) return this.fail(pointer, 'must provide an object');
    if (typeof block.type !== 'string' || !allowed.has(block.type)) return this.fail(`${pointer}/type`, `unsupported type: ${String(block.type)}`);
    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string' || block.block_id.length === 0) this.fail(`${pointer}/block_id`, 'must be a non-empty string');
      else {
        this.maxLength(block.block_id, BLOCK_LIMITS.blockId, `${pointer}/block_id`);
        if (blockIds.has(block.block_id)) this.fail(`${pointer}/block_id`, 'duplicate block_id');
        blockIds.add(block.block_id);
      }
    }
    switch (block.type) {
      case 'section':
        if (block.text === undefined && block.fields === undefined) this.fail(pointer, 'must contain either "text" or "fields"');
        this.text(block.text, `${pointer}/text`, { max: BLOCK_LIMITS.sectionText });
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields)) this.fail(`${pointer}/fields`, 'must provide an array');
          else {
            if (block.fields.length > BLOCK_LIMITS.sectionFields) this.fail(`${pointer}/fields`, `no more than ${BLOCK_LIMITS.sectionFields} items allowed`);
            block.fields.forEach((f, i) => this.text(f, `${pointer}/fields/${i}`, { max: BLOCK_LIMITS.sectionFieldText, required: true }));
          }
        }
        if (block.accessory !== undefined) this.element(block.accessory, `${pointer}/accessory`);
        break;
      case 'header':
        this.text(block.text, `${pointer}/text`, { max: BLOCK_LIMITS.headerText, plainOnly: true, required: true });
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0) this.fail(`${pointer}/elements`, 'must provide a non-empty array');
        else {
          if (block.elements.length > BLOCK_LIMITS.contextElements) this.fail(`${pointer}/elements`, `no more than ${BLOCK_LIMITS.contextElements} items allowed`);
          block.elements.forEach((e, i) => {
            if (isObj(e) && e.type === 'image') this.image(e, `${pointer}/elements/${i}`);
            else this.text(e, `${pointer}/elements/${i}`, { max: BLOCK_LIMITS.sectionText, required: true });
          });
        }
        break;
      case 'actions':
        if (!Array.isArray(block.elements) || block.elements.length === 0) this.fail(`${pointer}/elements`, 'must provide a non-empty array');
        else {
          if (block.elements.length > BLOCK_LIMITS.actionsElements) this.fail(`${pointer}/elements`, `no more than ${BLOCK_LIMITS.actionsElements} items allowed`);
          block.elements.forEach((e, i) => this.element(e, `${pointer}/elements/${i}`));
        }
        break;
      case 'image':
        this.image(block, pointer);
        this.text(block.title, `${pointer}/title`, { max: 2000, plainOnly: true });
        break;
      case 'input':
        this.text(block.label, `${pointer}/label`, { max: BLOCK_LIMITS.inputLabel, plainOnly: true, required: true });
        if (block.element === undefined) this.fail(`${pointer}/element`, 'must provide an object');
        else this.element(block.element, `${pointer}/element`);
        break;
      default:
        break;
    }
  }

  image(e: Obj, pointer: string): void {
    if (typeof e.image_url !== 'string' && !isObj(e.slack_file)) this.fail(`${pointer}/image_url`, 'must provide a string');
    this.maxLength(e.image_url, BLOCK_LIMITS.imageUrl, `${pointer}/image_url`);
    if (typeof e.alt_text !== 'string' || e.alt_text.length === 0) this.fail(`${pointer}/alt_text`, 'must provide a non-empty string');
    this.maxLength(e.alt_text, BLOCK_LIMITS.altText, `${pointer}/alt_text`);
  }

  element(e: unknown, pointer: string): void {
    if (!isObj(e)) return this.fail(pointer, 'must provide an object');
    if (typeof e.type !== 'string' || !INTERACTIVE.has(e.type)) return this.fail(`${pointer}/type`, `unsupported type: ${String(e.type)}`);
    if (e.type === 'image') return this.image(e, pointer);
    if (e.action_id !== undefined) {
      if (typeof e.action_id !== 'string' || e.action_id.length === 0) this.fail(`${pointer}/action_id`, 'must be a non-empty string');
      else {
        this.maxLength(e.action_id, BLOCK_LIMITS.actionId, `${pointer}/action_id`);
        if (this.actionIds.has(e.action_id) && pointer.includes('/elements/')) {
          // Slack refuses duplicate action_ids within one block; across blocks they are allowed.
          const blockPointer = pointer.replace(/\/elements\/\d+$/, '');
          if (this.actionIds.has(`${blockPointer}#${e.action_id}`)) this.fail(`${pointer}/action_id`, 'duplicate action_id');
        }
        this.actionIds.add(e.action_id);
        this.actionIds.add(`${pointer.replace(/\/elements\/\d+$/, '')}#${e.action_id}`);
      }
    }
    if (e.type === 'button') {
      this.text(e.text, `${pointer}/text`, { max: BLOCK_LIMITS.buttonText, plainOnly: true, required: true });
      if (e.value !== undefined) {
        if (typeof e.value !== 'string') this.fail(`${pointer}/value`, 'must be a string');
        this.maxLength(e.value, BLOCK_LIMITS.buttonValue, `${pointer}/value`);
      }
      this.maxLength(e.url, BLOCK_LIMITS.buttonUrl, `${pointer}/url`);
      if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') this.fail(`${pointer}/style`, 'must be a valid enum value');
    }
    if (e.type === 'static_select' || e.type === 'multi_static_select') {
      if (!Array.isArray(e.options) && !Array.isArray(e.option_groups)) this.fail(`${pointer}/options`, 'must provide an array');
    }
  }
}

/** Slack gives every block a block_id and every interactive element an action_id when the app did not. */
export function normalizeBlocks(blocks: unknown[]): unknown[] {
  const clone = JSON.parse(JSON.stringify(blocks)) as Array<Record<string, unknown>>;
  for (const b of clone) {
    if (b.block_id === undefined) b.block_id = randomBytes(3).toString('hex');
    const els = [...(Array.isArray(b.elements) ? (b.elements as Obj[]) : []), ...(b.accessory ? [b.accessory as Obj] : []), ...(b.element ? [b.element as Obj] : [])];
    for (const el of els) {
      if (el && typeof el === 'object' && el.type && el.type !== 'image' && el.type !== 'mrkdwn' && el.type !== 'plain_text' && el.action_id === undefined) el.action_id = randomBytes(3).toString('hex');
    }
  }
  return clone;
}

