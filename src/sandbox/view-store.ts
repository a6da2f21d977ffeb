/**
 * Modals and Home tabs, as Slack keeps them: the one place views are stored.
 * `views.open`, `views.update` and `views.publish` and a view submission's
 * `response_action` update and push all come through here, so every view is
 * checked the same way Slack checks it, named the way Slack names its blocks,
 * and shown on the page as soon as it changes.
 */
import { ApiError } from './api-error';
import { BLOCK_LIMITS, normalizeBlocks, validateBlocks } from './block-kit';
import { randomHex, slackId } from './ids';
import type { SandboxState, View } from './state';

/** A modal holds at most three views: the one opened and two pushed on it. */
export const MAX_MODAL_VIEWS = 3;

/** Whose view it is. */
export interface ViewOwner {
  teamId: string;
  userId: string;
  appId: string;
}

export class ViewStore {
  private readonly views = new Map<string, View>();

  constructor(private readonly state: SandboxState) {}

  get(id: string): View | undefined {
    return this.views.get(id);
  }

  /** The view of `teamId` named by id, or else by the app's external_id. */
  find(teamId: string, by: { viewId?: string; externalId?: string }): View | undefined {
    return [...this.views.values()].find((v) => v.teamId === teamId && ((by.viewId && v.id === by.viewId) || (!by.viewId && by.externalId && v.externalId === by.externalId)));
  }

  /** The modal view a person sees: the top of their open stack. */
  topModal(userId: string): View | undefined {
    return [...this.views.values()].filter((v) => v.userId === userId && v.type === 'modal' && v.open).pop();
  }

  home(userId: string): View | undefined {
    return [...this.views.values()].find((v) => v.userId === userId && v.type === 'home');
  }

  /** `views.open`: a new modal, replacing whatever the person had open. */
  open(owner: ViewOwner, raw: unknown): View {
    const checked = checkView(raw, 'modal');
    this.refuseTakenExternalId(owner.teamId, checked);
    for (const v of this.views.values()) if (v.userId === owner.userId && v.type === 'modal') v.open = false;
    return this.store(owner, checked, {});
  }

  /** `views.update` or `response_action: update`: new content under the same id, in the same place of the stack. */
  update(existing: View, raw: unknown): View {
    const checked = checkView(raw, existing.type);
    this.refuseTakenExternalId(existing.teamId, checked, existing);
    return this.store(existing, checked, { id: existing.id, rootViewId: existing.rootViewId, previousViewId: existing.previousViewId, open: existing.open });
  }

  /** `response_action: push`: a new view on top of `top`; closing it shows `top` again. */
  push(top: View, raw: unknown): View {
    const checked = checkView(raw, 'modal');
    if (this.depth(top) >= MAX_MODAL_VIEWS) throw new ApiError('push_limit_reached');
    this.refuseTakenExternalId(top.teamId, checked);
    top.open = false;
    return this.store(top, checked, { rootViewId: top.rootViewId, previousViewId: top.id });
  }

  /** `views.publish`: the person's Home tab, created or replaced. */
  publish(owner: ViewOwner, raw: unknown): View {
    const checked = checkView(raw, 'home');
    const existing = this.home(owner.userId);
    this.refuseTakenExternalId(owner.teamId, checked, existing);
    return existing ? this.store(existing, checked, { id: existing.id, rootViewId: existing.rootViewId }) : this.store(owner, checked, {});
  }

  /** The top view goes away (closed, or submitted and answered with nothing): the one beneath it shows again. */
  closeTop(view: View): View | undefined {
    view.open = false;
    const previous = view.previousViewId ? this.views.get(view.previousViewId) : undefined;
    if (previous) previous.open = true;
    this.state.changed();
    return previous;
  }

  /** Every modal view the person has goes away (`response_action: clear`, or Cancel on the page). */
  clear(userId: string): void {
    for (const v of this.views.values()) if (v.userId === userId && v.type === 'modal') v.open = false;
    this.state.changed();
  }

  reset(): void {
    this.views.clear();
  }

  private depth(view: View): number {
    let n = 1;
    for (let v = view; v.previousViewId && this.views.has(v.previousViewId); v = this.views.get(v.previousViewId)!) n++;
    return n;
  }

  private refuseTakenExternalId(teamId: string, raw: Record<string, unknown>, self?: View): void {
    const externalId = typeof raw.external_id === 'string' ? raw.external_id : undefined;
    if (externalId && [...this.views.values()].some((v) => v.externalId === externalId && v.teamId === teamId && v !== self && v.open)) throw new ApiError('duplicate_external_id');
  }

  private store(owner: ViewOwner, raw: Record<string, unknown>, place: { id?: string; rootViewId?: string; previousViewId?: string; open?: boolean }): View {
    const id = place.id ?? slackId('V');
    const view: View = {
      id,
      teamId: owner.teamId,
      userId: owner.userId,
      appId: owner.appId,
      botId: this.state.team(owner.teamId).botId,
      type: raw.type as View['type'],
      title: raw.title,
      submit: raw.submit,
      close: raw.close,
      blocks: normalizeBlocks(raw.blocks as unknown[]),
      callbackId: typeof raw.callback_id === 'string' ? raw.callback_id : undefined,
      privateMetadata: typeof raw.private_metadata === 'string' ? raw.private_metadata : undefined,
      externalId: typeof raw.external_id === 'string' ? raw.external_id : undefined,
      hash: `${Date.now()}.${randomHex(4)}`,
      rootViewId: place.rootViewId ?? id,
      previousViewId: place.previousViewId,
      open: place.open ?? true,
      raw,
    };
    this.views.set(id, view);
    this.state.changed();
    return view;
  }
}

/**
 * Checks a view as Slack does before it shows it. A malformed view is refused
 * with the common invalid_form_data and Slack's messages (Slack lists nothing
 * narrower for the views methods).
 */
export function checkView(raw: unknown, kind: View['type']): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalidView(['[ERROR] must provide an object [json-pointer:/view]']);
  const v = raw as Record<string, unknown>;
  const messages: string[] = [];
  if (v.type !== kind) messages.push(`[ERROR] must be ${kind} [json-pointer:/view/type]`);
  const blocks = Array.isArray(v.blocks) ? v.blocks : undefined;
  if (!blocks) messages.push('[ERROR] must provide an array [json-pointer:/view/blocks]');
  if (blocks && blocks.length > BLOCK_LIMITS.viewBlocks) throw new ApiError('view_too_large');
  if (kind === 'modal') {
    const title = v.title as { type?: string; text?: string } | undefined;
    if (!title || title.type !== 'plain_text' || typeof title.text !== 'string' || !title.text) messages.push('[ERROR] must provide a plain_text object [json-pointer:/view/title]');
    else if (title.text.length > BLOCK_LIMITS.viewTitle) messages.push(`[ERROR] must be less than ${BLOCK_LIMITS.viewTitle + 1} characters [json-pointer:/view/title/text]`);
    if (blocks?.some((b) => (b as { type?: string })?.type === 'input') && !v.submit) messages.push('[ERROR] must provide submit when using input blocks [json-pointer:/view/submit]');
  }
  if (typeof v.private_metadata === 'string' && v.private_metadata.length > BLOCK_LIMITS.privateMetadata) messages.push(`[ERROR] must be less than ${BLOCK_LIMITS.privateMetadata + 1} characters [json-pointer:/view/private_metadata]`);
  if (typeof v.callback_id === 'string' && v.callback_id.length > BLOCK_LIMITS.callbackId) messages.push(`[ERROR] must be less than ${BLOCK_LIMITS.callbackId + 1} characters [json-pointer:/view/callback_id]`);
  if (blocks) {
    const problem = validateBlocks(blocks, 'view');
    if (problem) messages.push(...problem.messages.map((m) => m.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks')));
  }
  if (messages.length) throw invalidView(messages);
  return v;
}

function invalidView(messages: string[]): ApiError {
  return new ApiError('invalid_form_data', { response_metadata: { messages } });
}
