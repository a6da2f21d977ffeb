/**
 * Which workflow a Slack interaction is for, and with what signal. Features
 * plug routes in through `buildServer({ interactionRoutes })`; the
 * interactions plugin itself never changes for a new feature.
 *
 * The convention every feature follows:
 * - a button's `action_id` is `signalroom:<feature>:<verb>` and its `value`
 *   the target workflow id;
 * - a modal's `callback_id` is `signalroom:<feature>:<verb>` and its
 *   `private_metadata` JSON `{ "workflowId": "...", "verb"?: "...", ... }`.
 * `featureRoute({ feature, signal })` turns either into
 * `handle.signal(signal, SlackClickSignal)`.
 */
import type { SignalDefinition } from '@temporalio/common';
import type { SlackClickSignal } from '../../core/click';
import type { VerifiedSlackApp } from './slack-request';

/** One element of a `block_actions` payload's `actions`. */
export interface SlackAction {
  action_id: string;
  block_id?: string;
  type?: string;
  value?: string;
  action_ts?: string;
  selected_option?: { value?: string } | null;
  [key: string]: unknown;
}

/** The state of one input element in `view.state.values[blockId][actionId]`. */
export interface SlackViewElementState {
  type?: string;
  value?: string | null;
  selected_option?: { value?: string } | null;
  selected_options?: Array<{ value?: string }>;
  selected_user?: string | null;
  selected_users?: string[];
  selected_conversation?: string | null;
  selected_conversations?: string[];
  selected_channel?: string | null;
  selected_channels?: string[];
  selected_date?: string | null;
  selected_time?: string | null;
  selected_date_time?: number | null;
  [key: string]: unknown;
}

export interface SlackView {
  id?: string;
  callback_id: string;
  private_metadata?: string;
  state?: { values?: Record<string, Record<string, SlackViewElementState>> };
  [key: string]: unknown;
}

/** The fields of Slack's interaction payloads Signalroom reads (block_actions, view_submission). */
export interface SlackInteractionPayload {
  type: string;
  user: { id: string; username?: string; name?: string; team_id?: string };
  team?: { id?: string; domain?: string } | null;
  api_app_id?: string;
  channel?: { id?: string } | null;
  container?: { message_ts?: string; channel_id?: string; [key: string]: unknown };
  message?: { ts?: string; [key: string]: unknown };
  response_url?: string;
  response_urls?: Array<{ response_url: string; channel_id?: string }>;
  trigger_id?: string;
  actions?: SlackAction[];
  view?: SlackView;
  [key: string]: unknown;
}

/** One interaction to route: a clicked element, or a submitted modal. */
interface InteractionBase {
  payload: SlackInteractionPayload;
  /** Where the server itself answers the clicker (checked to be Slack's). */
  responseUrl?: string;
  /** What the request's signature proves: the app that sent it. */
  app: VerifiedSlackApp;
}

export type Interaction =
  | (InteractionBase & { type: 'block_actions'; /** the element's action_id */ id: string; action: SlackAction })
  | (InteractionBase & { type: 'view_submission'; /** the view's callback_id */ id: string; view: SlackView });

/** A signal that carries the click contract. */
export type ClickSignal = SignalDefinition<[SlackClickSignal], string>;

/**
 * A modal the server opens at once with the click's trigger_id (it expires
 * 3 seconds after the click, too soon to ask the worker), through the named
 * Slack integration: the app whose button was clicked.
 */
export interface OpenViewDecision {
  /** `organization` or `connector:<name>`. @default organization */
  integration?: string;
  view: Record<string, unknown>;
}

/** What a route decided: signal a workflow, answer the clicker directly (ephemeral), or open a modal. */
export type RouteDecision = { workflowId: string; signal: ClickSignal; args: [SlackClickSignal] } | { reply: string } | { openView: OpenViewDecision };

export interface InteractionRoute {
  /** For logs. */
  name: string;
  matches(interaction: Interaction): boolean;
  /** Must not do I/O that can block: the click is acknowledged after this. */
  toSignal(interaction: Interaction): RouteDecision;
}

/** What a workflow receives from `featureRoute`: the click contract, declared once in core/click.ts. */

export const ACTION_PREFIX = 'signalroom:';

/** Splits `signalroom:<feature>:<verb>`; undefined for anything else. */
export function parseActionId(id: string): { feature: string; verb: string } | undefined {
  const m = /^signalroom:([a-z0-9][a-z0-9_-]*):([A-Za-z0-9][A-Za-z0-9_.-]*)$/.exec(id);
  return m ? { feature: m[1], verb: m[2] } : undefined;
}

/** One string per input: the value, the selection, or selections joined with commas. */
function elementValue(state: SlackViewElementState): string | undefined {
  const many = state.selected_options?.map((o) => o.value ?? '') ?? state.selected_users ?? state.selected_conversations ?? state.selected_channels;
  if (many) return many.join(',');
  const one =
    state.value ??
    state.selected_option?.value ??
    state.selected_user ??
    state.selected_conversation ??
    state.selected_channel ??
    state.selected_date ??
    state.selected_time ??
    (typeof state.selected_date_time === 'number' ? String(state.selected_date_time) : undefined);
  return one === null || one === undefined ? undefined : String(one);
}

/** `view.state.values` as `{ blockId: value }` (`blockId.actionId` for blocks with several inputs); empty inputs are left out. */
export function flattenViewValues(view: SlackView): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [blockId, elements] of Object.entries(view.state?.values ?? {})) {
    const entries = Object.entries(elements ?? {});
    for (const [actionId, state] of entries) {
      const value = elementValue(state ?? {});
      if (value === undefined) continue;
      out[entries.length === 1 ? blockId : `${blockId}.${actionId}`] = value;
    }
  }
  return out;
}

export function parsePrivateMetadata(view: SlackView): Record<string, unknown> | undefined {
  if (!view.private_metadata) return undefined;
  try {
    const parsed = JSON.parse(view.private_metadata) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface FeatureRouteOptions {
  /** The `<feature>` of `signalroom:<feature>:<verb>`, e.g. `approval`. */
  feature: string;
  /** The workflow's signal: a `defineSignal` definition or its name. */
  signal: ClickSignal;
  /** Only these verbs (others are left to other routes). @default every verb */
  verbs?: readonly string[];
  /** Also route modal submissions with this feature's callback ids. @default true */
  views?: boolean;
}

/**
 * The generic route of the button convention: `signalroom:<feature>:<verb>`
 * with the workflow id as the button's value (or in the modal's
 * private_metadata) becomes `signal(SlackClickSignal)`.
 */
export function featureRoute(options: FeatureRouteOptions): InteractionRoute {
  const verbs = options.verbs ? new Set(options.verbs) : undefined;
  return {
    name: `feature:${options.feature}`,
    matches(interaction) {
      if (interaction.type === 'view_submission' && options.views === false) return false;
      const parsed = parseActionId(interaction.id);
      return parsed !== undefined && parsed.feature === options.feature && (!verbs || verbs.has(parsed.verb));
    },
    toSignal(interaction) {
      const { verb } = parseActionId(interaction.id)!;
      const p = interaction.payload;
      const user = { id: p.user.id, name: p.user.name ?? p.user.username, teamId: p.user.team_id ?? p.team?.id ?? undefined };
      const { app } = interaction;
      const sealed = interaction.responseUrl ? app.seal(interaction.responseUrl) : undefined;
      if (interaction.type === 'block_actions') {
        const workflowId = interaction.action.value ?? interaction.action.selected_option?.value;
        if (!workflowId) return { reply: 'This button is not linked to a Signalroom run, so nothing was done.' };
        const channelId = p.channel?.id ?? p.container?.channel_id;
        const messageTs = p.container?.message_ts ?? p.message?.ts;
        const signal: SlackClickSignal = {
          verb,
          user,
          provenance: dropUndefined({ integrations: app.integrations, teamId: app.teamId, enterpriseId: app.enterpriseId, channelId, messageTs }),
          channelId,
          messageTs,
          responseUrl: sealed,
          triggerId: p.trigger_id,
          actionTs: interaction.action.action_ts,
        };
        return { workflowId, signal: options.signal, args: [dropUndefined(signal)] };
      }
      const metadata = parsePrivateMetadata(interaction.view);
      const workflowId = typeof metadata?.workflowId === 'string' ? metadata.workflowId : undefined;
      if (!workflowId) return { reply: 'This form is not linked to a Signalroom run, so nothing was done.' };
      const first = p.response_urls?.[0];
      // A modal has no message: the server put the card's channel and ts in its metadata when it opened it,
      // and only the app whose signature verified this submission could have sent them back.
      const channelId = typeof metadata?.channelId === 'string' ? metadata.channelId : first?.channel_id;
      const messageTs = typeof metadata?.messageTs === 'string' ? metadata.messageTs : undefined;
      const signal: SlackClickSignal = {
        verb: typeof metadata?.verb === 'string' ? metadata.verb : verb,
        user,
        provenance: dropUndefined({ integrations: app.integrations, teamId: app.teamId, enterpriseId: app.enterpriseId, channelId, messageTs }),
        channelId: first?.channel_id,
        responseUrl: sealed,
        triggerId: p.trigger_id,
        values: flattenViewValues(interaction.view),
        metadata,
      };
      return { workflowId, signal: options.signal, args: [dropUndefined(signal)] };
    },
  };
}

/** Signal arguments travel as JSON; undefined fields only add noise to the history. A loop, since every click makes two. */
function dropUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}
