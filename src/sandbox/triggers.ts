/**
 * trigger_ids: issued with every click and view submission, valid once and
 * for 3 seconds, exchanged by views.open for a modal.
 */
import type { SandboxClock } from './clock';
import { triggerId } from './ids';

export const TRIGGER_TTL_MS = 3_000;

interface Trigger {
  teamId: string;
  userId: string;
  issuedAt: number;
  used: boolean;
}

export class TriggerStore {
  private triggers = new Map<string, Trigger>();
  constructor(private readonly clock: SandboxClock) {}

  issue(teamId: string, userId: string): string {
    const id = triggerId(this.clock.now());
    this.triggers.set(id, { teamId, userId, issuedAt: this.clock.now(), used: false });
    return id;
  }

  /** Exchanges a trigger id for the user it was issued to, or says which error Slack would give. */
  exchange(id: string | undefined, teamId: string): { userId: string } | { error: 'invalid_trigger_id' | 'exchanged_trigger_id' | 'expired_trigger_id' } {
    const t = id ? this.triggers.get(id) : undefined;
    if (!t || t.teamId !== teamId) return { error: 'invalid_trigger_id' };
    if (t.used) return { error: 'exchanged_trigger_id' };
    if (this.clock.now() - t.issuedAt > TRIGGER_TTL_MS) return { error: 'expired_trigger_id' };
    t.used = true;
    return { userId: t.userId };
  }

  reset(): void {
    this.triggers.clear();
  }
}
