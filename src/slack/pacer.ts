/**
 * Slack calls paced to Slack's rate limits, in the process that makes them
 * (docs/ARCHITECTURE.md, "Slack's rate limits").
 *
 * Slack limits each app in a workspace per method (a tier: 20, 50, 100 calls
 * a minute) and, for chat.postMessage, per channel too: about one message a
 * second after a short burst. Over a limit it answers 429 with a Retry-After.
 * Were every activity left to retry on its own, a hundred of them refused at
 * once would all come back after the same Retry-After and collide again, one
 * getting through each time: n²/2 refused calls for n posts.
 *
 * A lane is one such limit: an integration's method, or an integration's
 * channel for posts. A lane is open until Slack refuses one of its calls:
 * calls go at once, a few in flight at most, so a burst past the limit costs
 * that few 429s, not one per waiting call. From Slack's first 429 the lane is
 * paced: nothing goes before its Retry-After has passed, then one call at each
 * spacing Slack publishes (the tier's minute divided by its calls; a second a
 * post per channel). A 429 that pacing did not avoid (another worker spends
 * the same limit) doubles the spacing, no further; each call Slack takes
 * brings it back towards the published one. A lane unused for a minute is forgotten, open
 * again. A refused call itself still fails its attempt, retried by Temporal
 * after the Retry-After (src/slack/errors.ts), by when its lane lets it go.
 *
 * A call waits for its turn here at most a third of its activity's
 * start-to-close time (10 s outside an activity), so a waiting call never
 * holds an activity slot long. One whose turn is later is handed back at
 * once, without calling Slack, as a rate-limited failure whose retry delay
 * brings it back shortly before its turn: its place is kept, and a call
 * coming back when a kept place is due takes it.
 *
 * Bounded, whatever floods in (an attacker's approvals included): at most
 * MAX_WAITING calls wait in a process, all lanes together; a lane keeps at
 * most MAX_RESERVED places for handed-back calls, and a call past them is
 * handed back without a place, to retry when the lane's queue will have
 * drained; idle lanes are forgotten. What does not fit waits in Temporal's
 * durable retries, not in this process's memory.
 */
import { Context } from '@temporalio/activity';
import { ErrorCode } from '@slack/web-api';

/** One rate limit a call counts against. */
export interface LaneSpec {
  /** Identifies the limit: integration and method, or integration and channel. */
  key: string;
  /** Published spacing between two calls, in milliseconds. */
  spacingMs: number;
  /** Calls in flight at once while the lane is open. */
  openInFlight: number;
}

export interface PacerOptions {
  /** Longest a call waits for its turn in this process. @default 10_000 */
  maxWaitMs?: number;
  /** Calls waiting in this process, all lanes together. @default MAX_WAITING */
  maxWaiting?: number;
  /** Places a lane keeps for handed-back calls. @default MAX_RESERVED */
  maxReserved?: number;
  /** A lane unused this long is forgotten. @default 60_000 */
  idleMs?: number;
  /** For tests: the clock and the timers. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** The calling activity's wait budget and cancellation; by default read from the Temporal activity context. */
  caller?: () => { budgetMs?: number; signal?: AbortSignal } | undefined;
}

export const MAX_WAITING = 50;
export const MAX_RESERVED = 1_000;
/** A handed-back call is told to come back this long before its turn (its retry's dispatch, a look-up it makes first). */
export const HAND_BACK_LEAD_MS = 2_000;
/** A kept place is taken by a call coming back up to this long before it is due. */
const DUE_TOLERANCE_MS = 1_000;
/** The longest retry delay a handed-back call is given: past it, it looks again. */
export const MAX_HAND_BACK_SECONDS = 600;
/**
 * A 429 that pacing did not avoid (another worker spends the same limit)
 * doubles the lane's spacing: two workers sharing a channel each take half.
 * More workers than that see more 429s, each still waited out.
 */
export const MAX_SPACING_FACTOR = 2;
/** Each call Slack takes brings a widened spacing this much back towards the published one. */
const SPACING_RECOVERY = 0.95;
/** Lanes remembered before idle ones are swept. */
const SWEEP_AT = 1_000;

/** A call not made: its lane's turn is past its wait. Mapped like a 429 (src/slack/errors.ts), without Slack having been asked. */
export class SlackCallHeldBack extends Error {
  readonly code = ErrorCode.RateLimitedError;
  /** Seconds until the call should come back. */
  readonly retryAfter: number;
  readonly heldBack = true;
  constructor(
    readonly lane: string,
    seconds: number,
  ) {
    super(`held back: ${lane} is paced to Slack's rate limit; its turn comes in about ${seconds}s`);
    this.retryAfter = seconds;
  }
}

/** The Retry-After of a 429 from @slack/web-api, in seconds, or undefined for any other outcome. */
export function retryAfterOf(err: unknown): number | undefined {
  const e = err as { code?: string; retryAfter?: number; heldBack?: boolean } | undefined;
  if (e?.code !== ErrorCode.RateLimitedError || e.heldBack) return undefined;
  return Math.max(1, Number(e.retryAfter) || 1);
}

interface Waiter {
  kind: 'waiter';
  /** Lets the call go; `paced` says whether the lane was paced when it did. */
  go: (paced: boolean) => void;
}
/** A place kept for a handed-back call, due back at `dueAt`. */
interface Reserved {
  kind: 'reserved';
  dueAt: number;
}
type Entry = Waiter | Reserved;

class Lane {
  paced = false;
  spacing: number;
  /** Nothing goes before this: a Retry-After, or the spacing after the last call. */
  openAt = 0;
  inFlight = 0;
  entries: Entry[] = [];
  reserved = 0;
  lastUsed: number;
  timer: unknown;
  constructor(
    readonly spec: LaneSpec,
    now: number,
  ) {
    this.spacing = spec.spacingMs;
    this.lastUsed = now;
  }
}

/** A call let go by a lane, and whether the lane was paced when it was. */
interface Ticket {
  lane: Lane;
  paced: boolean;
}

export class SlackPacer {
  private readonly lanes = new Map<string, Lane>();
  private waiting = 0;
  private readonly maxWaitMs: number;
  private readonly maxWaiting: number;
  private readonly maxReserved: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly caller: () => { budgetMs?: number; signal?: AbortSignal } | undefined;

  constructor(options: PacerOptions = {}) {
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.maxWaiting = options.maxWaiting ?? MAX_WAITING;
    this.maxReserved = options.maxReserved ?? MAX_RESERVED;
    this.idleMs = options.idleMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.caller = options.caller ?? activityCaller;
  }

  /** Makes `call` when every lane lets it, and tells the lanes how Slack answered. */
  async run<T>(specs: LaneSpec[], call: () => Promise<T>): Promise<T> {
    const caller = this.caller();
    const deadline = this.now() + Math.min(this.maxWaitMs, caller?.budgetMs ?? Infinity);
    const tickets: Ticket[] = [];
    try {
      for (const spec of specs) {
        const lane = this.lane(spec);
        tickets.push({ lane, paced: await this.admit(lane, deadline, caller?.signal) });
      }
    } catch (err) {
      // Let go by some lanes, not by all: the call is not made.
      for (const t of tickets) this.left(t.lane);
      throw err;
    }
    let result: T;
    try {
      result = await call();
    } catch (err) {
      // A 429 names no limit: it is taken as the narrowest lane's (a post's channel), the others left as they were.
      const retryAfter = retryAfterOf(err);
      tickets.forEach((t, i) => (retryAfter !== undefined && i > 0 ? this.left(t.lane) : this.answered(t, retryAfter)));
      throw err;
    }
    for (const t of tickets) this.answered(t, undefined);
    return result;
  }

  /** A lane as it stands (for tests and diagnostics). */
  describe(key: string): { paced: boolean; spacingMs: number; waiting: number; reserved: number; inFlight: number } | undefined {
    const lane = this.lanes.get(key);
    if (!lane) return undefined;
    return { paced: lane.paced, spacingMs: lane.spacing, waiting: lane.entries.length - lane.reserved, reserved: lane.reserved, inFlight: lane.inFlight };
  }

  /** Calls waiting in this process, all lanes together. */
  get waitingCalls(): number {
    return this.waiting;
  }

  private lane(spec: LaneSpec): Lane {
    const now = this.now();
    let lane = this.lanes.get(spec.key);
    if (lane && this.idle(lane, now)) {
      this.lanes.delete(spec.key);
      lane = undefined;
    }
    if (!lane) {
      if (this.lanes.size >= SWEEP_AT) for (const [key, l] of this.lanes) if (this.idle(l, now)) this.lanes.delete(key);
      lane = new Lane(spec, now);
      this.lanes.set(spec.key, lane);
    }
    lane.lastUsed = now;
    return lane;
  }

  private idle(lane: Lane, now: number): boolean {
    return lane.inFlight === 0 && lane.entries.length === 0 && now - Math.max(lane.lastUsed, lane.openAt) >= this.idleMs;
  }

  /**
   * Resolves when the call may go (to whether the lane was paced then);
   * throws SlackCallHeldBack when its turn is past `deadline`.
   */
  private admit(lane: Lane, deadline: number, signal?: AbortSignal): Promise<boolean> | boolean {
    const now = this.now();
    if (lane.entries.length === 0) {
      if (!lane.paced && lane.inFlight < lane.spec.openInFlight) {
        lane.inFlight++;
        return false;
      }
      if (lane.paced && now >= lane.openAt) {
        lane.inFlight++;
        lane.openAt = now + lane.spacing;
        return true;
      }
    }
    // A place kept for a handed-back call that is due back now (this one, most likely), while its turn is within
    // this call's wait; else the end of the queue.
    let index = lane.entries.length;
    if (lane.paced) {
      for (let i = 0; i < lane.entries.length && this.turn(lane, i, now) <= deadline; i++) {
        const entry = lane.entries[i];
        if (entry.kind === 'reserved' && entry.dueAt <= now + DUE_TOLERANCE_MS) {
          index = i;
          break;
        }
      }
    }
    const claiming = index < lane.entries.length;
    if (this.waiting >= this.maxWaiting || (!claiming && this.turn(lane, index, now) > deadline)) {
      // Handed back: its place is kept at the end of the queue, while the lane has places to keep.
      const keep = lane.paced && lane.reserved < this.maxReserved;
      const failure = this.heldBack(lane, lane.entries.length, now);
      if (keep) {
        lane.entries.push({ kind: 'reserved', dueAt: now + failure.retryAfter * 1000 });
        lane.reserved++;
        this.schedule(lane, now);
      }
      throw failure;
    }
    return new Promise<boolean>((resolve, reject) => {
      const stopWaiting = () => {
        this.clearTimer(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting--;
      };
      const waiter: Waiter = {
        kind: 'waiter',
        go: (paced) => {
          stopWaiting();
          resolve(paced);
        },
      };
      /** Out of the queue before its turn: its wait is over (keeping its place, handed back) or its activity was cancelled. */
      const leave = (cancelled?: Error) => {
        const i = lane.entries.indexOf(waiter);
        if (i < 0) return;
        stopWaiting();
        const t = this.now();
        const failure = cancelled ?? this.heldBack(lane, i, t);
        if (!cancelled && lane.paced && lane.reserved < this.maxReserved) {
          lane.entries[i] = { kind: 'reserved', dueAt: t + (failure as SlackCallHeldBack).retryAfter * 1000 };
          lane.reserved++;
        } else lane.entries.splice(i, 1);
        reject(failure);
        this.pump(lane);
      };
      const onAbort = () => leave(signal?.reason instanceof Error ? signal.reason : new Error('cancelled while waiting for its turn at Slack'));
      if (claiming) {
        lane.entries[index] = waiter;
        lane.reserved--;
      } else lane.entries.push(waiter);
      this.waiting++;
      // Not let go within its wait (a Retry-After moved the lane's turns on): handed back.
      const timer = this.setTimer(() => leave(), Math.max(0, deadline - now));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      this.pump(lane);
    });
  }

  /** When the entry at `index` is let go, as things stand. */
  private turn(lane: Lane, index: number, now: number): number {
    return lane.paced ? Math.max(lane.openAt, now) + index * lane.spacing : now;
  }

  /** The failure of a call held back, to come back shortly before the turn of the place at `index`. */
  private heldBack(lane: Lane, index: number, now: number): SlackCallHeldBack {
    const seconds = Math.ceil((this.turn(lane, index, now) - now - HAND_BACK_LEAD_MS) / 1000);
    return new SlackCallHeldBack(lane.spec.key, Math.min(MAX_HAND_BACK_SECONDS, Math.max(1, seconds)));
  }

  /** Lets go whoever's turn it is. */
  private pump(lane: Lane): void {
    this.clearTimer(lane.timer);
    lane.timer = undefined;
    const now = this.now();
    while (lane.entries.length) {
      if (lane.paced ? now < lane.openAt : lane.inFlight >= lane.spec.openInFlight) break;
      const head = lane.entries.shift()!;
      if (head.kind === 'reserved') {
        // Its call is not back at its turn: the turn goes to the next.
        lane.reserved--;
        continue;
      }
      lane.inFlight++;
      if (lane.paced) lane.openAt = now + lane.spacing;
      head.go(lane.paced);
    }
    this.schedule(lane, now);
  }

  private schedule(lane: Lane, now: number): void {
    if (!lane.paced || lane.entries.length === 0 || lane.timer !== undefined) return;
    lane.timer = this.setTimer(
      () => {
        lane.timer = undefined;
        this.pump(lane);
      },
      Math.max(0, lane.openAt - now),
    );
  }

  /** A call let go without being made, or whose answer says nothing of this lane. */
  private left(lane: Lane): void {
    lane.inFlight = Math.max(0, lane.inFlight - 1);
    this.pump(lane);
  }

  /** Slack answered a call: a 429 paces the lane (or spaces it further); a call Slack took brings the spacing back. */
  private answered(ticket: Ticket, retryAfterSeconds: number | undefined): void {
    const { lane } = ticket;
    const now = this.now();
    lane.inFlight = Math.max(0, lane.inFlight - 1);
    lane.lastUsed = now;
    if (retryAfterSeconds !== undefined) {
      if (!lane.paced) {
        lane.paced = true;
        lane.spacing = lane.spec.spacingMs;
      } else if (ticket.paced) lane.spacing = lane.spec.spacingMs * MAX_SPACING_FACTOR;
      lane.openAt = Math.max(lane.openAt, now + retryAfterSeconds * 1000);
    } else if (ticket.paced && lane.paced) {
      lane.spacing = Math.max(lane.spec.spacingMs, lane.spacing * SPACING_RECOVERY);
    }
    this.pump(lane);
  }
}

/**
 * The calling activity's wait budget (a third of its start-to-close time) and
 * its cancellation, when the call is made in a Temporal activity.
 */
function activityCaller(): { budgetMs?: number; signal?: AbortSignal } | undefined {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return undefined;
  }
  const startToClose = context.info.startToCloseTimeoutMs;
  return { budgetMs: startToClose ? startToClose / 3 : undefined, signal: context.cancellationSignal };
}
