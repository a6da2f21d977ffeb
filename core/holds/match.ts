/**
 * Which holds apply to a deploy, and what an incident holds. Pure: the hold
 * board, the incident workflow and the tests use the same answers.
 */
import type { Hold, HoldReport, HoldScope, HoldTarget, IncidentHoldRule } from './types';

/** The placeholder of a hold rule's services that stands for the incident's own service. */
export const INCIDENT_SERVICE = '[incident.service]';

const matches = (names: string[], value: string) => names.includes('*') || names.includes(value);

export function scopeHolds(scope: HoldScope, target: Pick<HoldTarget, 'stage' | 'service'>): boolean {
  return matches(scope.stages, target.stage) && matches(scope.services, target.service);
}

/** The holds, of all reports, that apply to a deploy of `service` to `stage`, in a stable order. */
export function holdsFor(reports: Iterable<HoldReport>, target: Pick<HoldTarget, 'stage' | 'service'>): Hold[] {
  const out: Hold[] = [];
  for (const report of reports) {
    if (!report.scopes.some((s) => scopeHolds(s, target))) continue;
    const { scopes: _scopes, seq: _seq, ...hold } = report;
    out.push(hold);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A stable text of a set of holds: the board tells an approval only when it changes. */
export function holdsKey(holds: Hold[]): string {
  return JSON.stringify(holds);
}

/**
 * What an open incident of `severity` on `service` holds under the rules:
 * nothing below a held severity, nothing once resolved.
 */
export function incidentHoldScopes(rules: IncidentHoldRule[], incident: { severity?: string; service?: string; open: boolean }): HoldScope[] {
  if (!incident.open || !incident.severity) return [];
  const scopes: HoldScope[] = [];
  for (const rule of rules) {
    if (!rule.severities.includes(incident.severity)) continue;
    const services = rule.services.flatMap((s) => (s === INCIDENT_SERVICE ? (incident.service ? [incident.service] : []) : [s]));
    if (services.length && rule.stages.length) scopes.push({ stages: [...rule.stages], services });
  }
  return scopes;
}

/** How a card and the CLI say what holds an approval: "Held by INC-123 (SEV1, checkout)", "Frozen until …". */
export function holdLine(hold: Hold): string {
  if (hold.source === 'freeze') return `Frozen${hold.until ? ` until ${hold.until}` : ''}: ${hold.label}`;
  return `Held by ${hold.label}`;
}
