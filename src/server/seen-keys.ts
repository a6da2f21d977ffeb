/**
 * Remembers keys for a while, to act on a request once however many times
 * it arrives: Slack's retries of a click, or the same signed slash command
 * sent again within its signature's window (a replay). Bounded in time and
 * in size, so a flood of distinct keys costs memory it gives back.
 */
export class SeenKeys {
  private readonly seen = new Map<string, number>();
  private readonly oldest = new OldestFirst(this.seen);

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** True the first time `key` is offered within the window; false for every repeat. */
  firstTime(key: string, now = Date.now()): boolean {
    // The map is in insertion (= time) order, so the sweep stops at the first key still
    // young: each call costs O(1) amortised however many arrived within the window.
    for (let entry = this.oldest.peek(); entry; entry = this.oldest.peek()) {
      if (now - entry[1] <= this.windowMs && this.seen.size <= this.maxKeys) break;
      this.seen.delete(entry[0]);
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

/**
 * A Map's oldest entry, found where the last look left off. A Map keeps the
 * entries deleted at its front as holes until it next rebuilds its table, and
 * an iterator started afresh (`map.keys().next()`) walks over every one of
 * them: a map that drops its oldest entry on every call, at 100,000 entries,
 * spent over 100 µs a call on that walk (bench/README.md, Findings). One
 * iterator, kept from call to call, passes each hole once.
 *
 * The iterator is live: entries set after it are still ahead of it, and an
 * entry deleted and set again (moved to the newest end) is met again there.
 * So an entry used again is deleted and set, with a new value; a key never
 * gets a new value in place (this would take it for moved, and pass it by).
 */
export class OldestFirst<K, V> {
  private iterator: Iterator<[K, V]> | undefined;
  private head: [K, V] | undefined;

  constructor(private readonly map: Map<K, V>) {}

  /** The oldest entry still in the map, or undefined when it is empty. */
  peek(): [K, V] | undefined {
    for (;;) {
      // The entry last met is the oldest until it is deleted (or replaced by a newer value of its key).
      const head = this.head;
      if (head && this.map.get(head[0]) === head[1] && this.map.has(head[0])) return head;
      this.iterator ??= this.map.entries();
      const next = this.iterator.next();
      if (next.done) {
        // An iterator that has ended stays ended: the next look starts a new one.
        this.iterator = undefined;
        this.head = undefined;
        return undefined;
      }
      this.head = next.value;
    }
  }
}
