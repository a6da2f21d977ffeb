/**
 * Who may get an approval past its holds, and how: the one place for these
 * rules (SECURITY.md, "Holds, exceptions and break-glass"). Pure, so the
 * workflow judges, and the tests read, the same answers.
 */
import type { ApprovalState } from '../approval/types';
import type { Hold } from './types';
import { holdLine } from './match';

/** The longest reason kept for an exception or a break-glass. */
export const OVERRIDE_REASON_MAX = 500;
/** Exception requests kept per approval, and announced in the incident's channel at most. */
export const EXCEPTION_REQUESTS_KEPT = 10;

/** The holds that still apply: those without an exception granted. */
export function effectiveHolds(state: Pick<ApprovalState, 'holds' | 'exceptions'>): Hold[] {
  const excepted = new Set((state.exceptions ?? []).map((e) => e.hold));
  return (state.holds ?? []).filter((h) => !excepted.has(h.id));
}

/** Is it held now: pending, not broken out, and a hold without an exception applies. */
export function isHeld(state: Pick<ApprovalState, 'status' | 'holds' | 'exceptions' | 'breakGlass'>): boolean {
  return state.status === 'pending' && !state.breakGlass && effectiveHolds(state).length > 0;
}

/** Why an approval is refused while held: what holds it and who may let it through. */
export function heldRefusal(state: Pick<ApprovalState, 'holds' | 'exceptions'>): string {
  const holds = effectiveHolds(state);
  return `${holds.map(holdLine).join('; ')}: it cannot be approved until ${holds.length === 1 ? 'that lifts' : 'those lift'}, or an exception is granted (Request an exception on the card)`;
}

/** A reason as given: trimmed, or a refusal saying what is missing. */
export function overrideReason(reason: string | undefined): { ok: true; reason: string } | { ok: false; why: string } {
  const text = (reason ?? '').trim();
  if (!text) return { ok: false, why: 'a reason is required' };
  if (text.length > OVERRIDE_REASON_MAX) return { ok: false, why: `the reason is longer than ${OVERRIDE_REASON_MAX} characters` };
  return { ok: true, reason: text };
}

/**
 * The holds `user` may grant an exception to: an incident's to its commander,
 * any to a member of a configured exception group.
 */
export function grantableHolds(holds: Hold[], user: string, exceptionMembers: readonly string[]): Hold[] {
  if (exceptionMembers.includes(user)) return holds;
  return holds.filter((h) => h.source === 'incident' && h.commander === user);
}
