/**
 * Holds: what stops deploys while an incident is open or a freeze is on
 * (README, "Deploys and incidents"). Pure types, shared by the hold board,
 * the approval and incident workflows, the freezes, the CLI and the API.
 *
 * A source (an incident, a freeze) reports what it holds now; the hold board
 * (workflows/holds/board.ts) keeps the latest report of every source and
 * tells each pending approval which holds apply to it, whenever that changes.
 */

/** What a source holds: deploys to these stages of these services. `*` matches any. */
export interface HoldScope {
  stages: string[];
  services: string[];
}

export type HoldSource = 'incident' | 'freeze';

/** One source's report of what it holds now. A report with no scopes lifts its holds. */
export interface HoldReport {
  source: HoldSource;
  /** The source's workflow id (`incident:INC-123`, `freeze:black-friday`): each report replaces the source's last. */
  id: string;
  /** Rises with every report of a source; the board ignores one older than what it has (a late retry). */
  seq: number;
  /** What it holds now; empty lifts every hold of this source. */
  scopes: HoldScope[];
  /** How a card names it: `INC-123 (SEV1, checkout)`, `Black Friday`. */
  label: string;
  /** An incident's channel (a Slack channel id), and the integration that created it. */
  channel?: string;
  integration?: string;
  /** A link to the incident's channel. */
  link?: string;
  /** An incident's commander (a Slack user id): who may grant an exception from the card. */
  commander?: string;
  /** A freeze's end (ISO), when it has one. */
  until?: string;
  /** Why (a freeze's reason). */
  reason?: string;
}

/** A hold as it applies to one approval: the report without its scopes. */
export type Hold = Omit<HoldReport, 'scopes' | 'seq'>;

/** What an approval is held by, asked once when it starts (and kept up to date by the board). */
export interface HoldTarget {
  /** The approval's workflow id: the board signals it there. */
  approvalId: string;
  stage: string;
  service: string;
}

/** What configuration says an open incident holds (config `deploys.holds`). */
export interface IncidentHoldRule {
  /** Severities that hold, e.g. SEV1, SEV2. */
  severities: string[];
  stages: string[];
  /** Services held: names, `*`, or `[incident.service]` for the incident's own. */
  services: string[];
}

/** An exception to one hold, granted for one approval. */
export interface HoldException {
  /** The hold's id (its source's workflow id). */
  hold: string;
  /** Who granted it (a Slack user id). */
  by: string;
  reason: string;
  at: string;
  /** `commander` of the incident, or a configured exception group. */
  as: string;
  /** API and CLI: the token or operator that made it. */
  caller?: { token?: string; operator?: string };
}

/** A break-glass override of every hold and every approver, with its reason (config `deploys.breakGlass`). */
export interface BreakGlass {
  by: string;
  reason: string;
  at: string;
  /** The holds it overrode (their labels). */
  overrode: string[];
  /** The review it opened (its workflow id). */
  review?: string;
  caller?: { token?: string; operator?: string };
}

/** What an approval tells an incident that holds (or held) it. */
export interface IncidentHoldNote {
  approvalId: string;
  event: 'held' | 'exception-requested' | 'excepted' | 'lifted' | 'decided' | 'break-glass';
  /** One line for the timeline, escaped for Slack. */
  text: string;
  by?: string;
  at: string;
}
