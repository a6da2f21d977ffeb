/**
 * Faults for tests, per Web API method: fail the next N calls with a 500, a
 * hang past the client's timeout, a 429, apply the call and then drop the
 * response (the state changes, the client sees a connection reset), or hold
 * the call a while before applying it (`latency`: calls then reach Slack's
 * state in another order than they were sent, and one held past the client's
 * timeout is applied after the client gave up on it).
 */

export type FaultKind = '500' | 'hang' | '429' | 'drop_response' | 'latency';

export interface FaultSpec {
  kind: FaultKind;
  /** How many of the next calls fail. @default 1 */
  count?: number;
  /** The `Retry-After` a 429 fault sends. @default 1 */
  retryAfterSeconds?: number;
  /** How long a `latency` fault holds the call before it is applied and answered. @default 1000 */
  latencyMs?: number;
}

export interface ArmedFault {
  kind: FaultKind;
  retryAfterSeconds: number;
  latencyMs: number;
}

export class FaultInjector {
  private pending = new Map<string, Array<{ kind: FaultKind; remaining: number; retryAfterSeconds: number; latencyMs: number }>>();

  /** Arms a fault for the next `count` calls of `method` (e.g. `chat.postMessage`). */
  inject(method: string, spec: FaultSpec): void {
    const list = this.pending.get(method) ?? [];
    list.push({ kind: spec.kind, remaining: spec.count ?? 1, retryAfterSeconds: spec.retryAfterSeconds ?? 1, latencyMs: spec.latencyMs ?? 1000 });
    this.pending.set(method, list);
  }

  /** Takes the fault for this call of `method`, if one is armed. */
  take(method: string): ArmedFault | undefined {
    const list = this.pending.get(method);
    const next = list?.[0];
    if (!list || !next) return undefined;
    next.remaining--;
    if (next.remaining <= 0) list.shift();
    return { kind: next.kind, retryAfterSeconds: next.retryAfterSeconds, latencyMs: next.latencyMs };
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
