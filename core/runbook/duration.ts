/**
 * Durations as runbooks write them (`30s`, `15m`, `1h`, `2d`, `1h30m`) to
 * milliseconds and back. Pure: safe to import from workflow code.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** One or more `<number><unit>` parts, largest unit first by convention: `90s`, `1h30m`, `2d`. */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d|w))+$';
const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/**
 * The longest duration anything may wait: a number from outside never
 * reaches a timer or a date it cannot be (SECURITY.md, "Every number from
 * outside is bounded").
 */
export const MAX_DURATION_MS = 366 * 86_400_000;

/** What a duration looks like, for error messages. */
export const DURATION_HINT = 'a duration like 30s, 15m, 1h, 2d or 1h30m';

/** Is this text a duration this module can parse? */
export function isDuration(text: string): boolean {
  return WHOLE.test(text.trim());
}

/**
 * Parses `30s`, `15m`, `1h`, `2d`, `1w`, `500ms` or a sum like `1h30m` into
 * milliseconds. Throws a RangeError naming the text otherwise; a bare number
 * is refused because its unit would be a guess.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) throw new RangeError(`"${text}" is not ${DURATION_HINT}`);
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (!(total <= MAX_DURATION_MS)) throw new RangeError(`"${text}" is longer than ${formatDuration(MAX_DURATION_MS)}, the longest wait allowed`);
  return Math.round(total);
}

/** Milliseconds as a short human duration: 5400000 → `1h30m`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}${ms >= 1 ? 'ms' : 's'}`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
