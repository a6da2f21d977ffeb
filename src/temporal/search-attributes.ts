/**
 * The custom search attributes that make every Signalroom run findable in
 * the Temporal UI and with `temporal workflow list --query`. The dev server
 * registers them at start; `signalroom setup` registers them on any cluster.
 *
 * Kept free of SDK imports so workflows can import the names too.
 */
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
