/**
 * The custom search attributes that make every Signalroom run findable in
 * the Temporal UI and with `temporal workflow list --query`. The dev server
 * registers them at start; `signalroom setup` registers them on any cluster.
 * Each is written once, as a typed key; the registration list is made from them.
 *
 * Pure (only @temporalio/common), so workflows import it too.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed keys for workflows and clients (upsertSearchAttributes, typedSearchAttributes). */
export const SA = {
  kind: defineSearchAttributeKey('SignalroomKind', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('SignalroomStatus', SearchAttributeType.KEYWORD),
  pipeline: defineSearchAttributeKey('SignalroomPipeline', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('SignalroomStage', SearchAttributeType.KEYWORD),
  incidentId: defineSearchAttributeKey('SignalroomIncidentId', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('SignalroomSeverity', SearchAttributeType.KEYWORD),
  service: defineSearchAttributeKey('SignalroomService', SearchAttributeType.KEYWORD),
  project: defineSearchAttributeKey('SignalroomProject', SearchAttributeType.KEYWORD),
  requestedBy: defineSearchAttributeKey('SignalroomRequestedBy', SearchAttributeType.KEYWORD),
  decidedBy: defineSearchAttributeKey('SignalroomDecidedBy', SearchAttributeType.KEYWORD_LIST),
  /** Who may decide a pending approval (at most MAX_LISTED_APPROVERS; absent when there are more): `/signalroom approvals` finds a person's runs by it. */
  approvers: defineSearchAttributeKey('SignalroomApprovers', SearchAttributeType.KEYWORD_LIST),
  /** What holds a pending approval now (incident and freeze workflow ids); empty once nothing does. */
  heldBy: defineSearchAttributeKey('SignalroomHeldBy', SearchAttributeType.KEYWORD_LIST),
  /** A break-glass: on the approval it overrode (`overridden`) and on its review (`review-open`, `signed-off`). */
  breakGlass: defineSearchAttributeKey('SignalroomBreakGlass', SearchAttributeType.KEYWORD),
} as const;

/** As Temporal's operator service and `temporal server start-dev` name the types. */
const TYPE_NAMES = { [SearchAttributeType.KEYWORD]: 'Keyword', [SearchAttributeType.KEYWORD_LIST]: 'KeywordList' } as const;

/** Name → type, for registering them: made from SA. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'KeywordList'>> = Object.fromEntries(
  Object.values(SA).map((key) => [key.name, TYPE_NAMES[key.type as keyof typeof TYPE_NAMES]]),
);

export type SearchAttributeName = (typeof SA)[keyof typeof SA]['name'];

/** Temporal bounds a search attribute's size (2 KB by default): a run with more approvers than this lists none, and is found as unlisted. */
export const MAX_LISTED_APPROVERS = 100;

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}
