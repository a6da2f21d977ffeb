/**
 * Faults for tests, per Web API method: fail the next N calls with a 500, a
 * hang past the client's timeout, a 429, or apply the call and then drop the
 * response (the state changes, the client sees a connection reset).
 */

export type FaultKind = '500' | 'hang' | '429' | 'drop_response';

export interface FaultSpec {
  kind: FaultKind;
  /** How many of the next calls fail. @default 1 */
  count?: number;
  /** The `Retry-After` a 429 fault sends. @default 1 */
  retryAfterSeconds?: number;
}

export interface ArmedFault {
  kind: FaultKind;
  retryAfterSeconds: number;
}

export class FaultInjector {
  private pending = new Map<string, Array<{ kind: FaultKind; remaining: number; retryAfterSeconds: number }>>();

  /** Arms a fault for the next `count` calls of `method` (e.g. `chat.postMessage`). */
  inject(method: string, spec: FaultSpec): void {
    const list = this.pending.get(method) ?? [];
    list.push({ kind: spec.kind, remaining: spec.count ?? 1, retryAfterSeconds: spec.retryAfterSeconds ?? 1 });
    this.pending.set(method, list);
  }

  /** Takes the fault for this call of `method`, if one is armed. */
  take(method: string): ArmedFault | undefined {
    const list = this.pending.get(method);
    const next = list?.[0];
    if (!list || !next) return undefined;
    next.remaining--;
    if (next.remaining <= 0) list.shift();
    return { kind: next.kind, retryAfterSeconds: next.retryAfterSeconds };
  }

  /** Faults still armed, per method. */
  armed(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [m, list] of this.pending) {
      const n = list.reduce((s, f) => s + f.remaining, 0);
      if (n) out[m] = n;
    }
    return out;
  }

  clear(method?: string): void {
    if (method) this.pending.delete(method);
    else this.pending.clear();
  }
}
