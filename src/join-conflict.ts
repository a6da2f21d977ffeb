/**
 * "The same request joins; a different one is refused": the rule for every
 * resource a caller names by its id (an approval's pipeline, stage and
 * execution; an incident's incident.id). Whoever creates the id first must
 * not decide what a later, different request gets (SECURITY.md, "An approval
 * cannot be squatted" and "An incident cannot be squatted").
 */
import { SignalroomError } from './errors';

/** A running resource with the same id asks for something else: 409, `fields` naming what differs. */
export class JoinConflict extends SignalroomError {
  constructor(
    message: string,
    readonly fields: string[],
  ) {
    super(message, { code: 'conflict', status: 409, details: { fields } });
  }
}

/** The top-level fields two requests disagree on, sorted; values compared as canonical JSON (key order and undefined fields do not count). */
export function differingFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const canonical = (v: unknown): string =>
    JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).filter(([, y]) => y !== undefined).sort(([k1], [k2]) => k1.localeCompare(k2))) : x)) ?? 'undefined';
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => canonical(a[k]) !== canonical(b[k])).sort();
}
