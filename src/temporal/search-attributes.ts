/**
 * The custom search attributes that make every Signalroom run findable in
 * the Temporal UI and with `temporal workflow list --query`. The dev server
 * registers them at start; `signalroom setup` registers them on any cluster.
 *
 * Pure (only @temporalio/common), so workflows import it too.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SEARCH_ATTRIBUTES = {
  SignalroomKind: 'Keyword',
  SignalroomStatus: 'Keyword',
  SignalroomPipeline: 'Keyword',
  SignalroomStage: 'Keyword',
  SignalroomIncidentId: 'Keyword',
  SignalroomSeverity: 'Keyword',
  SignalroomService: 'Keyword',
  SignalroomProject: 'Keyword',
  SignalroomRequestedBy: 'Keyword',
  SignalroomDecidedBy: 'KeywordList',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}

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
} as const;
