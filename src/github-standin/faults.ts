/**
 * Faults for tests, per REST operation (GitHub's operationId): answer the
 * next N calls with a server error (500, 502, 503) without applying them, or
 * cancel the run the call is about just before it is applied (`cancel_run`:
 * the run was cancelled meanwhile, so a review answers 422 as GitHub's does).
 */

export type GitHubFaultKind = '500' | '502' | '503' | 'cancel_run';

export interface GitHubFaultSpec {
  kind: GitHubFaultKind;
  /** How many of the next calls. @default 1 */
  count?: number;
}

export class GitHubFaults {
  private pending = new Map<string, Array<{ kind: GitHubFaultKind; remaining: number }>>();

  inject(operationId: string, spec: GitHubFaultSpec): void {
    const list = this.pending.get(operationId) ?? [];
    list.push({ kind: spec.kind, remaining: spec.count ?? 1 });
    this.pending.set(operationId, list);
  }

  take(operationId: string): GitHubFaultKind | undefined {
    const list = this.pending.get(operationId);
    const next = list?.[0];
    if (!list || !next) return undefined;
    if (--next.remaining <= 0) list.shift();
    return next.kind;
  }

  armed(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, list] of this.pending) {
      const n = list.reduce((s, f) => s + f.remaining, 0);
      if (n) out[op] = n;
    }
    return out;
  }

  clear(operationId?: string): void {
    if (operationId) this.pending.delete(operationId);
    else this.pending.clear();
  }
}
