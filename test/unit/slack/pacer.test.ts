/**
 * The pacer of Slack calls (src/slack/pacer.ts) against a simulated Slack
 * channel that takes a burst of posts, then one a second, and answers 429 with
 * a Retry-After past that, as the sandbox does. On a simulated clock: what is
 * counted is Slack's answers and the calls made, never wall time.
 */
import { ErrorCode } from '@slack/web-api';
import { HAND_BACK_LEAD_MS, MAX_RESERVED, SlackCallHeldBack, SlackPacer, type LaneSpec } from '../../../src/slack/pacer';
import { slackFailure } from '../../../src/slack/errors';
import { slackLanes } from '../../../src/slack/integrations';

/** A fake clock and timers the pacer and the simulation share. */
class Clock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private seq = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  sleep = (ms: number) => new Promise<void>((resolve) => this.setTimer(resolve, ms));
  /** Runs every timer due up to `until`, in order, letting promises settle between them. */
  async runUntil(done: () => boolean, limitMs = 3_600_000): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    while (!done()) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers.shift();
      if (!next) throw new Error('nothing left to run, and not done');
      if (next.at > limitMs) throw new Error('simulation ran past its limit');
      this.t = Math.max(this.t, next.at);
      next.fn();
      for (let j = 0; j < 20; j++) await Promise.resolve();
    }
  }
}

class RateLimited extends Error {
  readonly code = ErrorCode.RateLimitedError;
  constructor(readonly retryAfter: number) {
    super('rate limited');
  }
}

/** One channel as the sandbox limits it (src/sandbox/rate-limit.ts): a bucket of `burst`, refilled `perSecond`. */
class Channel {
  private tokens: number;
  private updated = 0;
  readonly answers: Array<{ sent: number; at: number; ok: boolean; retryAfter?: number }> = [];
  constructor(
    private readonly clock: Clock,
    private readonly burst = 20,
    private readonly perSecond = 1,
    private readonly latencyMs = 5,
  ) {
    this.tokens = burst;
  }
  /** A post: reaches Slack after the latency, and is answered there. */
  async post(): Promise<void> {
    const sent = this.clock.t;
    await this.clock.sleep(this.latencyMs);
    const now = this.clock.t;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) * this.perSecond) / 1000);
    this.updated = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.answers.push({ sent, at: now, ok: true });
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
    this.answers.push({ sent, at: now, ok: false, retryAfter });
    throw new RateLimited(retryAfter);
  }
  get refused(): number {
    return this.answers.filter((a) => !a.ok).length;
  }
  get taken(): number {
    return this.answers.filter((a) => a.ok).length;
  }
  /** Calls sent after a 429 was answered and before its Retry-After had passed. */
  get insideRetryAfter(): number {
    const refusals = this.answers.filter((a) => !a.ok);
    return this.answers.filter((a) => refusals.some((r) => a.sent >= r.at && a.sent < r.at + r.retryAfter! * 1000)).length;
  }
}

const CHANNEL: LaneSpec = { key: 'organization #C0DEPLOYS', spacingMs: 1_025, openInFlight: 4 };
const METHOD: LaneSpec = { key: 'organization chat.postMessage', spacingMs: 107, openInFlight: 8 };

/** An activity posting once, retried by "Temporal" after the delay its failure asks for (a 429's Retry-After, a held-back call's turn). */
async function postActivity(clock: Clock, pacer: SlackPacer, channel: Channel, record: { attempts: number }): Promise<void> {
  for (;;) {
    record.attempts++;
    try {
      await pacer.run([CHANNEL, METHOD], () => channel.post());
      return;
    } catch (err) {
      const failure = slackFailure(err, { method: 'chat.postMessage', integration: 'organization' });
      if (failure.nonRetryable || failure.type !== 'SlackRateLimited') throw err;
      // Temporal's retry: after nextRetryDelay, plus a dispatch.
      await clock.sleep(parseInt(String(failure.nextRetryDelay), 10) * 1000 + 30);
    }
  }
}

function pacerOn(clock: Clock, options: Partial<ConstructorParameters<typeof SlackPacer>[0]> = {}): SlackPacer {
  return new SlackPacer({ now: clock.now, setTimer: clock.setTimer, clearTimer: clock.clearTimer, caller: () => ({ budgetMs: 10_000 }), ...options });
}

/** `posts` activities posting into one channel, one starting every `arrivalMs`, spread over `workers` pacers. */
async function postsIntoOneChannel(options: { posts: number; workers: number; arrivalMs: number }) {
  const clock = new Clock();
  const channel = new Channel(clock);
  const pacers = Array.from({ length: options.workers }, () => pacerOn(clock));
  const record = { attempts: 0 };
  let finished = 0;
  for (let i = 0; i < options.posts; i++) {
    const start = () => void postActivity(clock, pacers[i % options.workers], channel, record).then(() => finished++);
    if (options.arrivalMs && i) clock.setTimer(start, i * options.arrivalMs);
    else start();
  }
  await clock.runUntil(() => finished === options.posts);
  return { channel, attempts: record.attempts, lastMs: channel.answers.filter((a) => a.ok).at(-1)!.at, pacers };
}

/** The channel's floor for 100 posts: its burst of 20 at once, then one a second. */
const FLOOR_MS = (100 - 20) * 1000;

describe('a hundred posts into one channel', () => {
  test('one worker, as approvals start: every post taken once, a few 429s in all, none inside a Retry-After, within 10% of the floor', async () => {
    const { channel, attempts, lastMs, pacers } = await postsIntoOneChannel({ posts: 100, workers: 1, arrivalMs: 30 });
    expect(channel.taken).toBe(100);
    // The burst is spent, then the few calls in flight when Slack first refused: no more.
    expect(channel.refused).toBeLessThanOrEqual(CHANNEL.openInFlight);
    expect(channel.insideRetryAfter).toBe(0);
    expect(lastMs).toBeLessThanOrEqual(FLOOR_MS * 1.1);
    // A call that could not wait was handed back about once: its retry found its kept place.
    expect(attempts).toBeLessThanOrEqual(100 + 4 + 100);
    expect(pacers[0].waitingCalls).toBe(0);
  });

  test('one worker, all at once: the same, with more of them handed back first', async () => {
    const { channel, attempts, lastMs } = await postsIntoOneChannel({ posts: 100, workers: 1, arrivalMs: 0 });
    expect(channel.taken).toBe(100);
    expect(channel.refused).toBeLessThanOrEqual(CHANNEL.openInFlight);
    expect(channel.insideRetryAfter).toBe(0);
    expect(lastMs).toBeLessThanOrEqual(FLOOR_MS * 1.1);
    expect(attempts).toBeLessThanOrEqual(3 * 100);
  });

  test('without the pacer the same posts make Slack refuse calls by the thousand', async () => {
    const clock = new Clock();
    const channel = new Channel(clock);
    let finished = 0;
    const bare = async () => {
      for (;;) {
        try {
          return await channel.post();
        } catch (err) {
          await clock.sleep((err as RateLimited).retryAfter * 1000 + 30);
        }
      }
    };
    for (let i = 0; i < 100; i++) void bare().then(() => finished++);
    await clock.runUntil(() => finished === 100);
    // About n²/2 for the 80 past the burst.
    expect(channel.refused).toBeGreaterThan(1_000);
  });

  test('two workers, each pacing itself: every post taken once, 429s few, within 30% of the floor', async () => {
    const { channel, lastMs } = await postsIntoOneChannel({ posts: 100, workers: 2, arrivalMs: 30 });
    expect(channel.taken).toBe(100);
    // Each worker learns the limit from its own 429s; when the other spends it too, it spaces its calls twice as wide.
    expect(channel.refused).toBeLessThanOrEqual(25);
    expect(lastMs).toBeLessThanOrEqual(FLOOR_MS * 1.3);
  });
});

describe('a lane', () => {
  test('open: calls go at once, a few in flight at most', async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock);
    let inFlight = 0;
    let most = 0;
    let finished = 0;
    const call = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await clock.sleep(10);
      inFlight--;
    };
    for (let i = 0; i < 20; i++) void pacer.run([CHANNEL], call).then(() => finished++);
    await clock.runUntil(() => finished === 20);
    expect(most).toBe(CHANNEL.openInFlight);
    expect(pacer.describe(CHANNEL.key)?.paced).toBe(false);
  });

  test("a 429 paces the lane: nothing goes before the Retry-After, then one call per spacing", async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock);
    await expect(pacer.run([CHANNEL], () => Promise.reject(new RateLimited(3)))).rejects.toBeInstanceOf(RateLimited);
    const sent: number[] = [];
    let finished = 0;
    for (let i = 0; i < 5; i++) void pacer.run([CHANNEL], async () => void sent.push(clock.t)).then(() => finished++);
    await clock.runUntil(() => finished === 5);
    expect(sent[0]).toBe(3_000);
    expect(sent.slice(1).map((t, i) => t - sent[i])).toEqual(Array(4).fill(CHANNEL.spacingMs));
  });

  test('a call whose turn is past its wait is handed back, not sent, and told to come back shortly before its turn', async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock, { caller: () => ({ budgetMs: 3_100 }) });
    await expect(pacer.run([CHANNEL], () => Promise.reject(new RateLimited(1)))).rejects.toBeInstanceOf(RateLimited);
    const calls: number[] = [];
    const outcomes: Array<Promise<unknown>> = [];
    // Turns at 1 s, 2.025 s, 3.05 s, then past the 3.1 s wait: the fourth and fifth are handed back.
    for (let i = 0; i < 5; i++) outcomes.push(pacer.run([CHANNEL], async () => void calls.push(clock.t)).catch((e) => e));
    for (let j = 0; j < 10; j++) await Promise.resolve();
    const handedBack = (await Promise.all(outcomes.slice(3))) as SlackCallHeldBack[];
    expect(handedBack.map((e) => e instanceof SlackCallHeldBack)).toEqual([true, true]);
    // Their turns: 1 s + 3 and 4 spacings, told to come back HAND_BACK_LEAD_MS before, in whole seconds.
    expect(handedBack.map((e) => e.retryAfter)).toEqual([Math.ceil((1_000 + 3 * CHANNEL.spacingMs - HAND_BACK_LEAD_MS) / 1000), Math.ceil((1_000 + 4 * CHANNEL.spacingMs - HAND_BACK_LEAD_MS) / 1000)]);
    expect(pacer.describe(CHANNEL.key)).toMatchObject({ waiting: 3, reserved: 2 });
    // Mapped for Temporal like a 429: retried after its turn, and saying it was not sent.
    const failure = slackFailure(handedBack[0], { method: 'chat.postMessage', integration: 'organization', doing: 'posting to #deploys' });
    expect(failure).toMatchObject({ type: 'SlackRateLimited', nonRetryable: false, nextRetryDelay: `${handedBack[0].retryAfter}s` });
    expect(failure.message).toContain('Held back');
    // A call coming back takes the earliest kept place within its wait.
    await clock.runUntil(() => calls.length === 3);
    const back = pacer.run([CHANNEL], async () => void calls.push(clock.t));
    for (let j = 0; j < 10; j++) await Promise.resolve();
    expect(pacer.describe(CHANNEL.key)).toMatchObject({ waiting: 1, reserved: 1 });
    await clock.runUntil(() => calls.length === 4);
    await back;
    expect(calls[3] - calls[2]).toBe(CHANNEL.spacingMs);
  });

  test('a waiting call whose activity is cancelled leaves the queue', async () => {
    const clock = new Clock();
    const abort = new AbortController();
    const pacer = pacerOn(clock, { caller: () => ({ budgetMs: 10_000, signal: abort.signal }) });
    await expect(pacer.run([CHANNEL], () => Promise.reject(new RateLimited(5)))).rejects.toBeInstanceOf(RateLimited);
    let made = false;
    const waiting = pacer.run([CHANNEL], async () => void (made = true)).catch((e: Error) => e);
    for (let j = 0; j < 5; j++) await Promise.resolve();
    expect(pacer.waitingCalls).toBe(1);
    abort.abort(new Error('activity cancelled'));
    expect(((await waiting) as Error).message).toBe('activity cancelled');
    expect(made).toBe(false);
    expect(pacer.waitingCalls).toBe(0);
  });
});

describe("a Slack client's lanes", () => {
  test("a post counts against its channel and chat.postMessage's tier; a 429 paces the channel only, so the other channels' posts go at once", async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock);
    const deploys = slackLanes('organization', 'chat.postMessage', { channel: 'C0DEPLOYS' });
    const incident = slackLanes('organization', 'chat.postMessage', { channel: 'C0INCIDENT' });
    expect(deploys.map((l) => [l.key, l.spacingMs])).toEqual([
      ['organization #C0DEPLOYS', 1_015],
      ['organization chat.postMessage', 106],
    ]);
    // chat.update is tier 3: 50 a minute.
    expect(slackLanes('organization', 'chat.update', { channel: 'C0DEPLOYS' }).map((l) => [l.key, l.spacingMs])).toEqual([['organization chat.update', 1_217]]);

    await expect(pacer.run(deploys, () => Promise.reject(new RateLimited(30)))).rejects.toBeInstanceOf(RateLimited);
    expect(pacer.describe('organization #C0DEPLOYS')?.paced).toBe(true);
    expect(pacer.describe('organization chat.postMessage')?.paced).toBe(false);
    let posted = false;
    await pacer.run(incident, async () => void (posted = true));
    expect(posted).toBe(true);
    expect(clock.t).toBe(0);
  });
});

describe('bounds, whatever floods in', () => {
  test('calls waiting in the process stop at maxWaiting; past it, calls are handed back', async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock, { maxWaiting: 5, caller: () => ({ budgetMs: 60_000 }) });
    await expect(pacer.run([CHANNEL], () => Promise.reject(new RateLimited(1)))).rejects.toBeInstanceOf(RateLimited);
    const outcomes = Array.from({ length: 20 }, () => pacer.run([CHANNEL], async () => undefined).catch((e) => e));
    for (let j = 0; j < 10; j++) await Promise.resolve();
    expect(pacer.waitingCalls).toBe(5);
    const results = await Promise.all(outcomes.slice(5));
    expect(results.every((e) => e instanceof SlackCallHeldBack)).toBe(true);
  });

  test('a lane keeps at most MAX_RESERVED places; past them a call is handed back without one, to come back when the queue has gone', async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock, { caller: () => ({ budgetMs: 0 }) });
    await expect(pacer.run([CHANNEL], () => Promise.reject(new RateLimited(1)))).rejects.toBeInstanceOf(RateLimited);
    const flood = MAX_RESERVED + 500;
    const errors: SlackCallHeldBack[] = [];
    for (let i = 0; i < flood; i++) errors.push(await pacer.run([CHANNEL], async () => undefined).catch((e) => e));
    expect(errors.every((e) => e instanceof SlackCallHeldBack)).toBe(true);
    expect(pacer.describe(CHANNEL.key)).toMatchObject({ reserved: MAX_RESERVED, waiting: 0 });
    // Those without a place come back after every kept place's turn (up to the longest delay given).
    expect(errors.at(-1)!.retryAfter).toBe(errors[MAX_RESERVED].retryAfter);
    expect(errors.at(-1)!.retryAfter).toBeGreaterThanOrEqual(errors[MAX_RESERVED - 1].retryAfter);
  });

  test('a lane unused for a while is forgotten: open again', async () => {
    const clock = new Clock();
    const pacer = pacerOn(clock, { idleMs: 60_000 });
    await expect(pacer.run([CHANNEL], () => Promise.reject(new RateLimited(1)))).rejects.toBeInstanceOf(RateLimited);
    expect(pacer.describe(CHANNEL.key)?.paced).toBe(true);
    clock.t += 61_000;
    await pacer.run([CHANNEL], async () => undefined);
    expect(pacer.describe(CHANNEL.key)?.paced).toBe(false);
  });
});
