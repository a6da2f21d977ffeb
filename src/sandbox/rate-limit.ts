/**
 * Slack's rate limits: a token bucket per (token, method) sized by the
 * method's tier, and chat.postMessage's own limit of about one message a
 * second per channel with short bursts allowed. Over the limit the caller gets
 * HTTP 429 with `Retry-After`.
 */
import type { RateTier } from './metadata';

/** Calls per minute per tier; a full minute's worth may be spent in a burst. */
export const TIER_PER_MINUTE: Record<RateTier, number> = { t1: 1, t2: 20, t3: 50, t4: 100, t5: 600 };

export interface RateLimitOptions {
  /** Calls per minute per tier, overriding Slack's published minimums. */
  perMinute?: Partial<Record<RateTier, number>>;
  /** chat.postMessage: messages per second per channel, sustained. @default 1 */
  postMessagePerSecond?: number;
  /** chat.postMessage: messages a channel accepts in a burst before the per-second rate applies. @default 20 */
  postMessageBurst?: number;
}

class Bucket {
  private tokens: number;
  private updated: number;
  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updated = now;
  }

  /** Takes one token; returns 0 on success, else whole seconds until one is available (at least 1). */
  take(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updated) * this.perMs);
    this.updated = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perMs / 1000));
  }
}

export class RateLimiter {
  enabled: boolean;
  private buckets = new Map<string, Bucket>();
  private readonly perMinute: Record<RateTier, number>;
  private readonly postPerSecond: number;
  private readonly postBurst: number;

  constructor(enabled: boolean, options: RateLimitOptions = {}) {
    this.enabled = enabled;
    this.perMinute = { ...TIER_PER_MINUTE, ...options.perMinute };
    this.postPerSecond = options.postMessagePerSecond ?? 1;
    this.postBurst = options.postMessageBurst ?? 20;
  }

  /** Seconds to wait before retrying, or 0 when the call may go ahead. */
  checkMethod(token: string, method: string, tier: RateTier, now: number): number {
    if (!this.enabled) return 0;
    const per = this.perMinute[tier];
    return this.bucket(`m:${token}:${method}`, per, per / 60_000, now).take(now);
  }

  /** chat.postMessage's per-channel limit. */
  checkChannelPost(teamId: string, channelId: string, now: number): number {
    if (!this.enabled) return 0;
    return this.bucket(`c:${teamId}:${channelId}`, this.postBurst, this.postPerSecond / 1000, now).take(now);
  }

  reset(): void {
    this.buckets.clear();
  }

  private bucket(key: string, capacity: number, perMs: number, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new Bucket(capacity, perMs, now)));
    return b;
  }
}
