/**
 * Freeze windows (README, "Freeze windows"): when a freeze holds deploys,
 * computed in its own time zone. Pure: the freeze workflow, the CLI, the API
 * and the slash command all ask these functions, with the time passed in.
 *
 * A one-off freeze holds from `from` until `until`. A recurring one holds for
 * `durationMs` from every start of a 5-field cron expression read in its
 * zone, optionally only between `from` and `until`. Where the clocks change,
 * a freeze errs on the side of holding: a start in the hour the clocks skip
 * is the moment they jump (03:00), one in the hour they repeat is its first
 * time; a window's end is its start plus the duration on the zone's wall
 * clock (22:00 for 8h ends at 06:00 local, 7 or 9 hours on the nights the
 * clocks change), and an end the clocks skip moves on by the hour skipped,
 * one they repeat is its second time. A one-off time typed without an offset
 * that the clocks skip or repeat is refused, naming the offsets to choose from.
 *
 * Cron starts come from croner (in the zone), wall times and offsets from
 * luxon; both read the time-zone rules of the platform's Intl data. They are
 * loaded on first use, not on import: the worker evaluates every module a
 * workflow file imports in each cached workflow's context, and only freezes
 * need them (docs/ARCHITECTURE.md, "Layers").
 */
import type * as LuxonModule from 'luxon';
import type * as CronerModule from 'croner';
import type { HoldScope } from './types';
import { formatDuration } from '../runbook/duration';
import { USER_ID } from '../slack/mrkdwn';

/* eslint-disable @typescript-eslint/no-require-imports */
let luxonLoaded: typeof LuxonModule | undefined;
let cronerLoaded: typeof CronerModule | undefined;
const luxon = (): typeof LuxonModule => (luxonLoaded ??= require('luxon') as typeof LuxonModule);
const croner = (): typeof CronerModule => (cronerLoaded ??= require('croner') as typeof CronerModule);
/* eslint-enable @typescript-eslint/no-require-imports */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Every bound of a freeze (SECURITY.md, "Freezes are bounded, and made by freeze groups"). */
export const FREEZE_LIMITS = {
  /** A name is a lowercase slug of at most this many characters. */
  name: 63,
  reason: 500,
  stages: 20,
  services: 100,
  /** A stage or service name. */
  scopeName: 100,
  cron: 100,
  timeZone: 64,
  /** A window holds at least this long… */
  minWindowMs: MINUTE,
  /** …and a recurring window at most this long. */
  maxWindowMs: 30 * DAY,
  /** A one-off freeze holds at most this long. */
  maxOnceMs: 90 * DAY,
  /** A recurring freeze's windows start at least this far apart. */
  minGapMs: HOUR,
  /** A freeze's first window starts within this of its creation. */
  maxAheadMs: 366 * DAY,
  /** A recurring freeze's `until` is at most this after its start. */
  maxRecurringSpanMs: 5 * 366 * DAY,
  /** Freezes not yet ended, at most (each is a workflow, and a source on the hold board). */
  open: 200,
} as const;

/** A freeze's name: lowercase letters, digits and inner dashes; its workflow id is `freeze:<name>`. */
export const FREEZE_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A stage or service a freeze holds, as `deploys.holds` names them; `*` for any. */
export const FREEZE_SCOPE_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9._:/-]*|\*)$/;

export const FREEZE_ID_PREFIX = 'freeze:';
export const freezeWorkflowId = (name: string) => `${FREEZE_ID_PREFIX}${name}`;

/** Who made a write from outside Slack: the API's token, or the CLI's operator (user@host). */
export type FreezeCaller = { token: string } | { operator: string };

export interface OnceWindowSpec {
  kind: 'once';
  /** ISO instants. */
  from: string;
  until: string;
}

export interface RecurringWindowSpec {
  kind: 'recurring';
  /** A 5-field cron expression, read in the freeze's time zone. */
  cron: string;
  /** How long each window holds, on the zone's wall clock. */
  durationMs: number;
  /** Windows start at or after `from` and hold no later than `until` (ISO instants). */
  from?: string;
  until?: string;
}

export type FreezeWindowSpec = OnceWindowSpec | RecurringWindowSpec;

/** The freeze workflow's input: what the entry points made of a request, times already instants. */
export interface FreezeInput {
  name: string;
  stages: string[];
  services: string[];
  reason: string;
  /** The Slack user who created it. */
  createdBy: string;
  /** The token or operator that made it (the slash command records none: the person is the Slack user). */
  caller?: FreezeCaller;
  createdAt: string;
  /** The IANA zone its windows are computed and shown in. */
  timeZone: string;
  window: FreezeWindowSpec;
}

export interface FreezeWindow {
  start: string;
  end: string;
}

export type FreezeStatus = 'scheduled' | 'active' | 'ended';

export interface FreezeEnding {
  at: string;
  /** `ended`: someone ended it (`by`); `over`: its last window passed; `stopped`: its run failed or was terminated. */
  how: 'ended' | 'over' | 'stopped';
  by?: string;
  reason?: string;
  caller?: FreezeCaller;
}

/** A window that held, as the freeze records it. */
export interface HeldWindow extends FreezeWindow {
  /** Set when the freeze was ended during the window: when it lifted. */
  liftedAt?: string;
}

/** The freeze workflow's state (its query, and what the API and CLI show). */
export interface FreezeState {
  name: string;
  workflowId: string;
  status: FreezeStatus;
  stages: string[];
  services: string[];
  reason: string;
  timeZone: string;
  window: FreezeWindowSpec;
  createdBy: string;
  createdAt: string;
  caller?: FreezeCaller;
  /** The window holding now. */
  current?: FreezeWindow;
  /** The next window to hold, after the current one when there is one. */
  next?: FreezeWindow;
  /** The last windows that held (at most MAX_PAST_WINDOWS), oldest first. */
  past: HeldWindow[];
  /** How many windows have held in all. */
  windowsHeld: number;
  ended?: FreezeEnding;
}

export const MAX_PAST_WINDOWS = 20;

/** Ends a freeze: who, why, and the token or operator through which. */
export interface FreezeEndRequest {
  by: string;
  reason?: string;
  caller?: FreezeCaller;
}

/** A problem with a freeze request, naming the request's field (`cron`, `from`, `reason`…). */
export interface FreezeProblem {
  field: string;
  message: string;
}

// ---- time zones and wall times ----

/** Is this an IANA time zone the platform knows (`Europe/Berlin`, `UTC`)? */
export function isTimeZone(zone: string): boolean {
  return zone.length > 0 && zone.length <= FREEZE_LIMITS.timeZone && luxon().IANAZone.isValidZone(zone);
}

/** The zone as the platform spells it (`europe/berlin` → `Europe/Berlin`); call it on a valid zone. */
export function canonicalTimeZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/** The zone's offset from UTC at an instant, in minutes. */
function offsetAt(zone: string, ms: number): number {
  return luxon().IANAZone.create(zone).offset(ms);
}

/** An instant as wall-clock milliseconds: its date and time in the zone, read as if UTC. */
function wallOf(ms: number, zone: string): number {
  return ms + offsetAt(zone, ms) * MINUTE;
}

/**
 * The instants whose wall time in the zone is `wall` (ms, read as if UTC):
 * one, none (the clocks skip it) or two (they repeat it), ascending; and
 * what a skipped time would be read as with each offset around it.
 */
function instantsOfWall(wall: number, zone: string): { valid: number[]; candidates: number[] } {
  const offsets = new Set([-36, -12, -3, 0, 3, 12, 36].map((h) => offsetAt(zone, wall + h * HOUR)));
  const candidates = [...offsets].map((o) => wall - o * MINUTE).sort((a, b) => a - b);
  const valid = candidates.filter((t) => wallOf(t, zone) === wall);
  return { valid, candidates };
}

/** A window's end: `wall` read in the zone, erring later where the clocks skip or repeat it. */
function laterInstantOfWall(wall: number, zone: string): number {
  const { valid, candidates } = instantsOfWall(wall, zone);
  return valid.length ? valid[valid.length - 1]! : candidates[candidates.length - 1]!;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A time as people type it: an instant with an offset (`2027-11-26T00:00Z`,
 * `…+01:00`), or a wall time (`2027-11-26T00:00`, `2027-11-26`) read in `zone`.
 * Returns milliseconds, or why it cannot be read.
 */
export function parseFreezeTime(text: string, zone: string | undefined): { ms: number } | { problem: string } {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return { problem: `"${clip(text)}" is not a time like 2027-11-26T00:00 (in the freeze's time zone) or 2027-11-26T00:00Z` };
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', offset] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0')));
  const back = new Date(wall);
  if (Number.isNaN(wall) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return { problem: `"${clip(text)}" is not a date and time that exists` };
  }
  if (offset) {
    if (offset === 'Z') return { ms: wall };
    const om = /^([+-])(\d{2}):?(\d{2})$/.exec(offset)!;
    const minutes = (om[1] === '-' ? -1 : 1) * (Number(om[2]) * 60 + Number(om[3]));
    if (Math.abs(minutes) > 18 * 60) return { problem: `"${clip(text)}" has an offset beyond ±18:00` };
    return { ms: wall - minutes * MINUTE };
  }
  if (!zone) return { problem: `"${clip(text)}" has no offset: name the time zone it is in (like Europe/Berlin), or give an offset (Z, +01:00)` };
  const { valid, candidates } = instantsOfWall(wall, zone);
  if (valid.length === 1) return { ms: valid[0]! };
  const wallText = new Date(wall).toISOString().slice(0, 16);
  if (valid.length === 0) {
    const jump = `${formatOffset(offsetAt(zone, candidates[0]! - 12 * HOUR))} to ${formatOffset(offsetAt(zone, candidates[candidates.length - 1]! + 12 * HOUR))}`;
    return { problem: `${wallText} does not exist in ${zone}: the clocks skip it (${jump}); give a time outside the skipped hour` };
  }
  const [first, second] = valid;
  return {
    problem: `${wallText} happens twice in ${zone} (the clocks go back): give its offset, ${wallText}${formatOffset(offsetAt(zone, first!))} (the first) or ${wallText}${formatOffset(offsetAt(zone, second!))} (the second)`,
  };
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A length for a message: whole days past a day, whole hours past an hour. */
const roughly = (ms: number) => formatDuration(ms >= DAY ? Math.ceil(ms / DAY) * DAY : ms >= HOUR ? Math.ceil(ms / HOUR) * HOUR : ms);

const clip = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** An instant in the zone, for people: `Sat 2027-03-27 22:00 +01:00`. */
export function formatInZone(iso: string, zone: string): string {
  return luxon().DateTime.fromISO(iso, { zone, locale: 'en-US' }).toFormat('ccc yyyy-LL-dd HH:mm ZZ');
}

/** An instant in UTC, to the minute: `2027-03-27 21:00Z`. */
export function formatUtc(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** A window both ways: `Sat 2027-03-27 22:00 +01:00 → Sun 2027-03-28 06:00 +02:00 Europe/Berlin (2027-03-27 21:00Z → 2027-03-28 04:00Z)`. */
export function describeWindow(window: FreezeWindow, zone: string): string {
  const local = `${formatInZone(window.start, zone)} → ${formatInZone(window.end, zone)} ${zone}`;
  return zone === 'UTC' ? local : `${local} (${formatUtc(window.start)} → ${formatUtc(window.end)})`;
}

// ---- cron ----

type Cron = InstanceType<typeof CronerModule.Cron>;

/** The cron expression in the zone, or why it cannot be used. */
function cronOf(expression: string, zone: string): { cron: Cron } | { problem: string } {
  const fields = expression.trim().split(/\s+/);
  if (expression.length > FREEZE_LIMITS.cron) return { problem: `a cron expression is at most ${FREEZE_LIMITS.cron} characters` };
  if (fields.length !== 5 || expression.trim().startsWith('@')) {
    return { problem: `"${clip(expression)}" is not a 5-field cron expression (minute hour day-of-month month day-of-week, like "0 22 * * *")` };
  }
  try {
    return { cron: new (croner().Cron)(fields.join(' '), { timezone: zone }) };
  } catch (err) {
    return { problem: `"${clip(expression)}" is not a cron expression croner reads: ${(err as Error).message.replace(/^CronPattern: /, '')}` };
  }
}

/**
 * Cron starts after `afterMs` (exclusive), at most `limit`, none at or past
 * `beforeMs`. A start the clocks repeat is taken once (its first time).
 */
function cronStarts(cron: Cron, zone: string, afterMs: number, limit: number, beforeMs = Infinity): number[] {
  const starts: number[] = [];
  let cursor = afterMs;
  let lastWall = -Infinity;
  while (starts.length < limit) {
    const next = cron.nextRun(new Date(cursor))?.getTime();
    if (next === undefined || next >= beforeMs || next <= cursor) break;
    cursor = next;
    const wall = wallOf(next, zone);
    if (wall <= lastWall) continue;
    lastWall = wall;
    starts.push(next);
  }
  return starts;
}

/** A recurring window's end: its start plus the duration on the zone's wall clock, held no later than `until`. */
function recurringEnd(startMs: number, spec: RecurringWindowSpec, zone: string): number {
  const end = laterInstantOfWall(wallOf(startMs, zone) + spec.durationMs, zone);
  return spec.until ? Math.min(end, Date.parse(spec.until)) : end;
}

// ---- windows ----

const iso = (ms: number) => new Date(ms).toISOString();

/** The window holding at `atMs`, or else the first to start after it; none when every window has passed. */
export function windowAtOrAfter(input: Pick<FreezeInput, 'timeZone' | 'window'>, atMs: number): FreezeWindow | undefined {
  return windowsFrom(input, atMs, 1)[0];
}

/**
 * Up to `count` windows from `atMs` on: the one holding then (if any), then
 * those after it, in order.
 */
export function windowsFrom(input: Pick<FreezeInput, 'timeZone' | 'window'>, atMs: number, count: number): FreezeWindow[] {
  const spec = input.window;
  if (spec.kind === 'once') {
    const until = Date.parse(spec.until);
    return atMs < until && count > 0 ? [{ start: spec.from, end: spec.until }] : [];
  }
  const parsed = cronOf(spec.cron, input.timeZone);
  if ('problem' in parsed) return [];
  const from = spec.from ? Date.parse(spec.from) : -Infinity;
  const until = spec.until ? Date.parse(spec.until) : Infinity;
  // A window holding at atMs started at most its longest length before (wall clock plus a day for the clocks).
  const lookBack = Math.max(from - 1, atMs - spec.durationMs - DAY);
  const out: FreezeWindow[] = [];
  let cursor = lookBack;
  while (out.length < count) {
    const batch = cronStarts(parsed.cron, input.timeZone, cursor, Math.max(8, count), until);
    if (!batch.length) break;
    for (const start of batch) {
      cursor = start;
      const end = recurringEnd(start, spec, input.timeZone);
      if (end <= atMs || end <= start) continue;
      out.push({ start: iso(start), end: iso(end) });
      if (out.length >= count) break;
    }
  }
  return out;
}

// ---- validation ----

/**
 * What is wrong with a freeze, each naming its field as the request names it
 * (`name`, `stages`, `cron`, `duration`, `from`, `until`, `timeZone`…). The
 * workflow asks again without `nowMs`: what depends on the time of creation
 * (a window already past, one too far ahead) is the entry's to refuse.
 */
export function freezeProblems(input: FreezeInput, nowMs?: number): FreezeProblem[] {
  const problems: FreezeProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!FREEZE_NAME_PATTERN.test(input.name)) add('name', `a freeze's name is 1 to ${FREEZE_LIMITS.name} lowercase letters, digits and inner dashes (like black-friday)`);
  if (typeof input.createdBy !== 'string' || !USER_ID.test(input.createdBy)) add('createdBy', 'a freeze is created by a Slack user, named by id (U0123ABCD)');
  if (!input.reason.trim()) add('reason', 'a freeze needs a reason');
  if (input.reason.length > FREEZE_LIMITS.reason) add('reason', `a reason is at most ${FREEZE_LIMITS.reason} characters, and this one has ${input.reason.length}`);
  for (const [field, names, max] of [['stages', input.stages, FREEZE_LIMITS.stages], ['services', input.services, FREEZE_LIMITS.services]] as const) {
    if (!names.length) add(field, `name at least one (or * for any)`);
    else if (names.length > max) add(field, `at most ${max}, and this freeze names ${names.length}`);
    else {
      const bad = names.find((n) => n.length > FREEZE_LIMITS.scopeName || !FREEZE_SCOPE_PATTERN.test(n));
      if (bad !== undefined) add(field, `"${clip(bad)}" is not a name: letters, digits, . _ : / - (at most ${FREEZE_LIMITS.scopeName}), or * for any`);
    }
  }
  if (!isTimeZone(input.timeZone)) {
    add('timeZone', `"${clip(input.timeZone)}" is not an IANA time zone (like Europe/Berlin, America/New_York or UTC)`);
    return problems;
  }
  const spec = input.window;
  const from = spec.from === undefined ? undefined : Date.parse(spec.from);
  const until = spec.until === undefined ? undefined : Date.parse(spec.until);
  if (from !== undefined && Number.isNaN(from)) add('from', 'not a time');
  if (until !== undefined && Number.isNaN(until)) add('until', 'not a time');
  if (problems.length) return problems;
  if (from !== undefined && until !== undefined && until <= from) add('until', `${spec.until} is not after from (${spec.from})`);

  if (spec.kind === 'once') {
    if (until! - from! > FREEZE_LIMITS.maxOnceMs) add('until', `a one-off freeze holds at most ${formatDuration(FREEZE_LIMITS.maxOnceMs)}, and this one ${roughly(until! - from!)}: end it sooner, or make it recurring`);
    if (nowMs !== undefined) {
      if (until! <= nowMs) add('until', `${spec.until} has passed`);
      if (from! - nowMs > FREEZE_LIMITS.maxAheadMs) add('from', `a freeze starts within ${formatDuration(FREEZE_LIMITS.maxAheadMs)} of its creation`);
    }
    return problems;
  }

  if (!(spec.durationMs >= FREEZE_LIMITS.minWindowMs && spec.durationMs <= FREEZE_LIMITS.maxWindowMs)) {
    add('duration', `a window holds between ${formatDuration(FREEZE_LIMITS.minWindowMs)} and ${formatDuration(FREEZE_LIMITS.maxWindowMs)}`);
  }
  const origin = Math.max(from ?? -Infinity, nowMs ?? -Infinity);
  if (until !== undefined && Number.isFinite(origin) && until - origin > FREEZE_LIMITS.maxRecurringSpanMs) {
    add('until', `a recurring freeze's until is at most ${formatDuration(FREEZE_LIMITS.maxRecurringSpanMs)} after it starts`);
  }
  const parsed = cronOf(spec.cron, input.timeZone);
  if ('problem' in parsed) {
    add('cron', parsed.problem);
    return problems;
  }
  if (problems.length) return problems;
  // Its starts over the next year or so (from its start, or now): far enough apart, and each window lifting before the next.
  const checkFrom = Number.isFinite(origin) ? origin : Date.parse(input.createdAt);
  const starts = cronStarts(parsed.cron, input.timeZone, checkFrom - 1, 1_000, Math.min(until ?? Infinity, checkFrom + FREEZE_LIMITS.maxAheadMs + 8 * DAY));
  if (!starts.length) {
    add('cron', `"${spec.cron}" starts no window ${until !== undefined ? `before until (${spec.until})` : `within ${formatDuration(FREEZE_LIMITS.maxAheadMs)}`}`);
    return problems;
  }
  if (nowMs !== undefined && starts[0]! - nowMs > FREEZE_LIMITS.maxAheadMs) add('cron', `its first window starts more than ${formatDuration(FREEZE_LIMITS.maxAheadMs)} ahead`);
  for (let i = 1; i < starts.length; i++) {
    const gap = starts[i]! - starts[i - 1]!;
    if (gap < FREEZE_LIMITS.minGapMs) {
      add('cron', `"${spec.cron}" starts windows ${formatDuration(gap)} apart (${iso(starts[i - 1]!)} and ${iso(starts[i]!)}); a freeze's windows start at least ${formatDuration(FREEZE_LIMITS.minGapMs)} apart`);
      return problems;
    }
  }
  for (let i = 1; i < starts.length; i++) {
    const end = recurringEnd(starts[i - 1]!, spec, input.timeZone);
    if (end >= starts[i]!) {
      add('duration', `windows of ${formatDuration(spec.durationMs)} would run into each other (the one from ${iso(starts[i - 1]!)} still holds at the next start, ${iso(starts[i]!)}): make it shorter than the time between starts, or make a one-off freeze`);
      return problems;
    }
  }
  return problems;
}

// ---- what it holds, and how it reads ----

/** What a freeze holds while a window is on. */
export function freezeScopes(input: Pick<FreezeInput, 'stages' | 'services'>): HoldScope[] {
  return [{ stages: [...input.stages], services: [...input.services] }];
}

/** The state of a freeze that has not run yet (what a create answers, and what a list computes from the memo). */
export function plannedState(input: FreezeInput, nowMs: number, ended?: FreezeEnding): FreezeState {
  const [first, second] = ended ? [] : windowsFrom(input, nowMs, 2);
  const holding = first !== undefined && Date.parse(first.start) <= nowMs;
  return {
    name: input.name,
    workflowId: freezeWorkflowId(input.name),
    status: ended || !first ? 'ended' : holding ? 'active' : 'scheduled',
    stages: input.stages,
    services: input.services,
    reason: input.reason,
    timeZone: input.timeZone,
    window: input.window,
    createdBy: input.createdBy,
    createdAt: input.createdAt,
    ...(input.caller ? { caller: input.caller } : {}),
    ...(holding ? { current: first, ...(second ? { next: second } : {}) } : first ? { next: first } : {}),
    past: [],
    windowsHeld: 0,
    ...(ended ? { ended } : {}),
  };
}

/** How a freeze's schedule reads: `once` or `0 22 * * * for 8h, Europe/Berlin`. */
export function describeSchedule(input: Pick<FreezeInput, 'timeZone' | 'window'>): string {
  const spec = input.window;
  if (spec.kind === 'once') return `once, ${input.timeZone}`;
  const bounds = [spec.from && `from ${formatInZone(spec.from, input.timeZone)}`, spec.until && `until ${formatInZone(spec.until, input.timeZone)}`].filter(Boolean).join(' ');
  return `${spec.cron} for ${formatDuration(spec.durationMs)}, ${input.timeZone}${bounds ? ` ${bounds}` : ''}`;
}

/** How a freeze ended: `Ended by U0ALICE at …: Sale over`, `Over at …: no window left`. */
export function endingLine(ended: FreezeEnding): string {
  if (ended.how === 'over') return `Over at ${ended.at}: no window left`;
  if (ended.how === 'stopped') return `Stopped at ${ended.at}: its run failed or was terminated`;
  const via = ended.caller ? ('token' in ended.caller ? ` (token ${ended.caller.token})` : ` (operator ${ended.caller.operator})`) : '';
  return `Ended by ${ended.by ?? 'someone'}${via} at ${ended.at}${ended.reason ? `: ${ended.reason}` : ''}`;
}

/** Markdown for the Temporal UI's current details (escaped like core/details.ts). */
export function freezeDetails(state: FreezeState): string {
  const md = (text: string) => text.replace(/([\\`*_[\]<>|#])/g, '\\$1').replace(/\s*\n\s*/g, ' ');
  const lines = [
    `**${state.status === 'active' ? 'Holding' : state.status === 'scheduled' ? 'Scheduled' : 'Ended'}**: ${md(state.reason)}`,
    '',
    `- Holds ${state.stages.map(md).join(', ')} › ${state.services.map(md).join(', ')}`,
    `- Schedule: ${md(describeSchedule(state))}`,
    state.current ? `- Now: ${md(describeWindow(state.current, state.timeZone))}` : '',
    state.next ? `- Next: ${md(describeWindow(state.next, state.timeZone))}` : '',
    `- Created by ${md(state.createdBy)} at ${state.createdAt}`,
    state.ended ? `- ${md(endingLine(state.ended))}` : '',
  ];
  return lines.filter((l, i) => l !== '' || i === 1).join('\n');
}
