/**
 * Remembers keys for a while, to act on a request once however many times
 * it arrives: Slack's retries of a click, or the same signed slash command
 * sent again within its signature's window (a replay). Bounded in time and
 * in size, so a flood of distinct keys costs memory it gives back.
 */
export class SeenKeys {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** True the first time `key` is offered within the window; false for every repeat. */
  firstTime(key: string, now = Date.now()): boolean {
    // The map is in insertion (= time) order, so the sweep stops at the first key still
    // young: each call costs O(1) amortised however many arrived within the window.
    for (const [k, at] of this.seen) {
      if (now - at <= this.windowMs && this.seen.size <= this.maxKeys) break;
      this.seen.delete(k);
    }
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }

  /** Forgets `key`: what it guarded did not happen (Temporal was unreachable), so a repeat may try again. */
  forget(key: string): void {
    this.seen.delete(key);
  }
}
