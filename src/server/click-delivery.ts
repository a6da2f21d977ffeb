/**
 * Delivers a click to its workflow as a signal without ever holding Slack's
 * request past its 3 seconds: the first attempt gets a short window before the
 * acknowledgement, then retries go on in the background (with backoff, for a
 * bounded time), and the clicker is told through `response_url` when the click
 * could not be delivered or its run has already finished.
 *
 * A signal is recorded by Temporal even while no worker runs, so a click made
 * while the worker is stopped is applied when the worker comes back.
 */
import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import type { FastifyBaseLogger } from 'fastify';
import type { ClickSignal } from './interaction-routes';
import type { SlackClickSignal } from '../../core/click';
import type { ClickOutcome } from './metrics';
import { postToResponseUrl } from '../slack/response-url';
import { OldestFirst, SeenKeys } from './seen-keys';

/** How long and how hard a click is retried. Swappable as a whole (tests use seconds). */
/** How long a click's key is remembered to drop Slack's retries of it, and how many keys at most. */
export const DEDUPE_WINDOW_MS = 10 * 60_000;
export const DEDUPE_MAX_KEYS = 200_000;

export interface DeliveryPolicy {
  /** How long the first attempt may hold the HTTP answer (Slack allows 3 s in all). @default 1500 */
  ackWithinMs: number;
  /** How long to keep retrying in the background before telling the clicker. @default 120000 (2 minutes) */
  deliverForMs: number;
  /** Deadline of one signal call. @default 5000 */
  attemptTimeoutMs: number;
  /** First pause between attempts; doubles up to maxBackoffMs. @default 250 */
  initialBackoffMs: number;
  /** @default 10000 */
  maxBackoffMs: number;
  /** On shutdown, how long deliveries still retrying may go on. @default 10000 */
  shutdownGraceMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  ackWithinMs: 1500,
  deliverForMs: 120_000,
  attemptTimeoutMs: 5000,
  initialBackoffMs: 250,
  maxBackoffMs: 10_000,
  shutdownGraceMs: 10_000,
};

/** An ephemeral answer to the clicker, posted to a `response_url`. */
export type RespondToClicker = (responseUrl: string, text: string) => Promise<void>;

/**
 * Slack's documented response_url answer: only the clicker sees it, the
 * original message stays. Only to Slack's hosts (and `extraBases`, the
 * sandbox's when it is the configured Slack), never through a redirect.
 */
export function postEphemeralTo(extraBases: () => readonly string[] = () => []): RespondToClicker {
  return async (responseUrl, text) => {
    const status = await postToResponseUrl(responseUrl, { response_type: 'ephemeral', replace_original: false, text }, { extraBases: extraBases(), timeoutMs: 5000 });
    if (status < 200 || status >= 300) throw new Error(`response_url answered HTTP ${status}`);
  };
}

/** To Slack's own hosts only. */
export const postEphemeral: RespondToClicker = postEphemeralTo();

/**
 * How often one person may click on one run before clicks are answered
 * without reaching it: a burst, then one every `refillMs`. Bounds what a
 * person (or a script with one person's clicks) can add to a run's history.
 */
export interface ClickRateLimit {
  /** @default 3 */
  burst: number;
  /** @default 10000 (a person rarely has a reason to click one card twice in ten seconds) */
  refillMs: number;
  /** People-and-runs remembered at most (oldest forgotten first). @default 100000 */
  maxKeys: number;
  /**
   * Clicks on one run from everyone together: a burst, then one every
   * `runRefillMs`. A flood of clicks each claiming another person (only a
   * holder of a signing secret can sign those) meets this limit, not just the
   * per-person one. @default 200
   */
  runBurst: number;
  /** @default 50 (20 clicks a second on one run, far above what its approvers make) */
  runRefillMs: number;
}

export const DEFAULT_CLICK_RATE_LIMIT: ClickRateLimit = { burst: 3, refillMs: 10_000, maxKeys: 100_000, runBurst: 200, runRefillMs: 50 };

export interface ClickJob {
  workflowId: string;
  signal: ClickSignal;
  args: [SlackClickSignal];
  responseUrl?: string;
  /** Identifies a click across Slack's retries of the same request. */
  dedupeKey?: string;
  /** Who clicked: repeated clicks by one person on one run are rate-limited. */
  userId?: string;
}

/** What the HTTP answer can say about a click when it is sent. */
export type EarlyOutcome = 'delivered' | 'workflow_finished' | 'undeliverable' | 'pending' | 'duplicate' | 'throttled';

export const MESSAGES = {
  workflowFinished: 'This run has already finished, so your click changed nothing. The message shows its outcome.',
  undeliverable: 'Signalroom could not deliver your click right now (its workflow service did not answer). Nothing was changed: please try again in a minute.',
  shuttingDown: 'Signalroom was restarting and could not deliver your click. Nothing was changed: please try again in a minute.',
  unrouted: 'This button is not handled by this Signalroom server, so nothing was done.',
  throttled: 'You are clicking faster than Signalroom takes clicks on this run, so this click was not recorded. Wait a few seconds and try again.',
};

type FinalOutcome = 'delivered' | 'workflow_finished' | 'undeliverable';

function signalName(signal: ClickSignal): string {
  return signal.name;
}

/** Failures that another attempt cannot fix. */
function isPermanent(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause ?? err;
  if (!isGrpcServiceError(cause)) return false;
  // INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, UNIMPLEMENTED, UNAUTHENTICATED
  return [3, 7, 9, 12, 16].includes(cause.code);
}

export class ClickDelivery {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly seen = new SeenKeys(DEDUPE_WINDOW_MS, DEDUPE_MAX_KEYS);
  /** Per person and run: tokens left and when they were counted; whether the person was told they were throttled. */
  private readonly buckets = new Map<string, { tokens: number; at: number; told: boolean }>();
  /** The least recently used bucket, forgotten first when there are `maxKeys` (a bucket used is set again, at the newest end). */
  private readonly oldestBucket = new OldestFirst(this.buckets);
  private readonly stopping = new AbortController();

  constructor(
    private readonly temporal: Client,
    private readonly policy: DeliveryPolicy,
    private readonly respond: RespondToClicker,
    private readonly count: (outcome: ClickOutcome) => void,
    private readonly log: FastifyBaseLogger,
    private readonly rateLimit: ClickRateLimit = DEFAULT_CLICK_RATE_LIMIT,
  ) {}

  /**
   * Starts delivering; resolves with what is known within `ackWithinMs`
   * (`pending` when the delivery goes on in the background).
   */
  async deliver(job: ClickJob): Promise<EarlyOutcome> {
    if (job.dedupeKey && this.isDuplicate(job.dedupeKey)) return 'duplicate';
    if (job.userId && (this.isThrottled(`${job.userId}|${job.workflowId}`) || this.isThrottled(`*|${job.workflowId}`, this.rateLimit.runBurst, this.rateLimit.runRefillMs))) {
      this.count('throttled');
      return 'throttled';
    }
    // Whichever comes first answers: the delivery's outcome, or the end of the window ('pending').
    return new Promise<EarlyOutcome>((answer) => {
      let acknowledged = false;
      const window = setTimeout(() => {
        acknowledged = true;
        answer('pending');
      }, this.policy.ackWithinMs);
      const run = this.run(
        job,
        () => acknowledged,
        (outcome) => {
          clearTimeout(window);
          answer(outcome);
        },
      );
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    });
  }

  /** Waits for background deliveries, up to the shutdown grace; the rest are abandoned and their clickers told. */
  async drain(): Promise<void> {
    if (this.inFlight.size === 0) return;
    this.log.info({ deliveries: this.inFlight.size }, 'waiting for click deliveries still in flight');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.policy.shutdownGraceMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    clearTimeout(timer);
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** Slack retries a request it got no answer to within minutes: the retry is dropped. */
  private isDuplicate(key: string): boolean {
    return !this.seen.firstTime(key);
  }

  /**
   * A token bucket per person and run. Only the first throttled click of a
   * burst is answered, so a flood costs at most a handful of replies too.
   */
  private isThrottled(key: string, burst = this.rateLimit.burst, refillMs = this.rateLimit.refillMs): boolean {
    const { maxKeys } = this.rateLimit;
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now, told: false };
    const refilled = Math.min(burst, bucket.tokens + (now - bucket.at) / refillMs);
    this.buckets.delete(key);
    if (this.buckets.size >= maxKeys) {
      const oldest = this.oldestBucket.peek();
      if (oldest) this.buckets.delete(oldest[0]);
    }
    if (refilled >= 1) {
      this.buckets.set(key, { tokens: refilled - 1, at: now, told: false });
      return false;
    }
    this.buckets.set(key, { tokens: refilled, at: now, told: bucket.told });
    return true;
  }

  /** True once per throttled burst: whether to tell this person (or, when the whole run is throttled, one person) they are throttled. */
  shouldTellThrottled(userId: string, workflowId: string): boolean {
    const own = this.buckets.get(`${userId}|${workflowId}`);
    const bucket = own && own.tokens < 1 ? own : this.buckets.get(`*|${workflowId}`);
    if (!bucket || bucket.told) return false;
    bucket.told = true;
    return true;
  }

  private async run(job: ClickJob, acknowledged: () => boolean, settle: (o: FinalOutcome) => void): Promise<void> {
    const outcome = await this.attemptUntilDone(job);
    settle(outcome);
    const late = acknowledged();
    const name = signalName(job.signal);
    if (outcome === 'delivered') {
      this.count(late ? 'delivered_late' : 'delivered');
      // A click delivered before the answer is logged once, by the request's own line (outcome `delivered`).
      if (late) this.log.info({ workflowId: job.workflowId, signal: name, late }, 'click delivered');
      return;
    }
    this.count(outcome);
    const text = outcome === 'workflow_finished' ? MESSAGES.workflowFinished : this.stopping.signal.aborted ? MESSAGES.shuttingDown : MESSAGES.undeliverable;
    this.log.warn({ workflowId: job.workflowId, signal: name, outcome }, 'click not delivered; telling the clicker');
    await this.tell(job.responseUrl, text);
  }

  private async attemptUntilDone(job: ClickJob): Promise<FinalOutcome> {
    const giveUpAt = Date.now() + this.policy.deliverForMs;
    let backoff = this.policy.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const handle = this.temporal.workflow.getHandle(job.workflowId);
        const deadline = Math.min(Date.now() + this.policy.attemptTimeoutMs, giveUpAt);
        await this.temporal.connection.withDeadline(deadline, () => handle.signal(job.signal, ...job.args));
        return 'delivered';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'workflow_finished';
        if (err instanceof NamespaceNotFoundError || isPermanent(err)) {
          this.log.error({ err, workflowId: job.workflowId }, 'click cannot be delivered');
          return 'undeliverable';
        }
        const wait = Math.min(backoff, this.policy.maxBackoffMs);
        if (this.stopping.signal.aborted || Date.now() + wait >= giveUpAt) {
          this.log.warn({ err: (err as Error).message, workflowId: job.workflowId, attempts: attempt }, 'click delivery gave up');
          return 'undeliverable';
        }
        this.log.info({ err: (err as Error).message, workflowId: job.workflowId, attempt, retryInMs: wait }, 'click delivery failed; retrying');
        await this.sleep(wait);
        backoff *= 2;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      const onAbort = () => done();
      this.stopping.signal.addEventListener('abort', onAbort, { once: true });
      const signal = this.stopping.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve();
      }
    });
  }

  /** Answers the clicker without holding the request; shutdown waits for it like a delivery. */
  tellInBackground(responseUrl: string | undefined, text: string): void {
    const told = this.tell(responseUrl, text);
    this.inFlight.add(told);
    void told.finally(() => this.inFlight.delete(told));
  }

  /** Best effort: a clicker we cannot reach is logged, never an error of the click. */
  async tell(responseUrl: string | undefined, text: string): Promise<void> {
    if (!responseUrl) {
      this.log.warn('no response_url to tell the clicker');
      return;
    }
    try {
      await this.respond(responseUrl, text);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not answer the clicker through response_url');
    }
  }
}
