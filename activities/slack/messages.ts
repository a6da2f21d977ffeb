/**
 * Message activities. Posting is made idempotent with Slack message
 * metadata: each post carries its workflow's idempotency key, and a retry
 * first looks for a message carrying that key before posting again.
 */
import { activityInfo, cancellationSignal, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import type { KnownBlock, Block, MessageMetadata } from '@slack/web-api';
import { refusal, slackFailure } from '../../src/slack/errors';
import { openResponseUrl, postToResponseUrl, ResponseUrlRefused } from '../../src/slack/response-url';
import type { Integration } from '../../src/slack/integrations';
import { withHeadline } from '../../core/slack/blocks/headline';
import { USER_ID } from '../../core/slack/mrkdwn';
import { OutboundRefused, type OutboundClient, type OutboundResponse } from '../../src/net/outbound';
import type { SlackContext } from './context';

export const IDEMPOTENCY_EVENT_TYPE = 'signalroom_message';

/** How long a post waits for its permalink before returning without one. */
const PERMALINK_WAIT_MS = 3_000;

export interface PostMessageInput {
  integration: string;
  /** Channel ID, `#name` or `name`. */
  channel: string;
  text: string;
  blocks?: Array<KnownBlock | Block>;
  threadTs?: string;
  replyBroadcast?: boolean;
  /**
   * Unique per message within its workflow (e.g. `open/notify`). With the
   * workflow id it marks the message, so a retry finds instead of reposting.
   */
  idempotencyKey: string;
  /** Extra metadata payload fields (Slack IDs and names only, no secrets). */
  metadata?: Record<string, string | number | boolean>;
  /** Also ask Slack for the message's permalink (chat.getPermalink), for people to open it from elsewhere. */
  permalink?: boolean;
  /**
   * Set by the workflow when this post may have been made already without
   * its attempt number saying so: a local activity run again after a lost
   * workflow task, or a regular activity after local attempts
   * (docs/ARCHITECTURE.md, "The path of a runbook step"). It looks first.
   */
  mayHaveRun?: boolean;
  /** With `mayHaveRun`: epoch ms from which an earlier post may be (the look goes back 5 minutes more). */
  lookBackFrom?: number;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  /** True when a retry found the message an earlier attempt posted. */
  existing?: boolean;
  /** With `permalink: true`, when Slack gave one. */
  permalink?: string;
}

export interface PostMessagesInput {
  posts: PostMessageInput[];
}

export interface PostMessagesResult {
  /** One per post made or refused (Slack's explanation), in order. */
  done: Array<{ posted: PostedMessage } | { refused: string }>;
  /** A post a retry may mend (a 429, Slack unavailable or not answering): it and the ones after it are not done. */
  stopped?: {
    message: string;
    /** Slack may have applied it (no answer, a 5xx), though it failed. */
    mayHavePosted: boolean;
    /** How long Slack asked to wait (a 429's Retry-After). */
    retryAfterMs?: number;
  };
}

export interface UpdateMessageInput {
  integration: string;
  channel: string;
  ts: string;
  text: string;
  blocks?: Array<KnownBlock | Block>;
  /**
   * The state's number, rising with every update of this message (a card's):
   * written into the message's metadata, so an older state is never written
   * over a newer one.
   */
  version?: number;
  /**
   * What the message was posted with (postMessage's idempotency key and
   * metadata): with a version and blocks, a live attempt writes the next
   * state without reading the message first (see updateMessage).
   */
  postedWith?: { idempotencyKey: string; metadata?: Record<string, string | number | boolean> };
}

/** The message metadata field that carries a card's version. */
export const VERSION_FIELD = 'signalroom_version';

/** The version a message's metadata carries (0 for none). */
function versionOf(message: { metadata?: { event_payload?: Record<string, unknown> } }): number {
  const v = Number(message.metadata?.event_payload?.[VERSION_FIELD]);
  return Number.isFinite(v) ? v : 0;
}

/** Failures after which Slack may still apply the call: no answer, or a server error. */
const ANSWER_LOST = new Set(['SlackUnreachable', 'SlackUnavailable']);
const LOST_ANSWER_POLL_MS = 500;
/** Left of an attempt's start-to-close time to fail it in. */
const LOST_ANSWER_MARGIN_MS = 3_000;
/**
 * How long after its answer was lost an update may still be applied, as far
 * as this worker waits for it: a regular attempt's time (30 s) less the margin.
 */
const LOST_ANSWER_WINDOW_MS = 30_000 - LOST_ANSWER_MARGIN_MS;

function markerFor(key: string): string {
  const info = activityInfo();
  return `${info.workflowExecution?.workflowId ?? info.activityId}/${key}`;
}

async function findPosted(slack: SlackContext, integration: Integration, channel: { id: string; name: string }, marker: string, threadTs?: string, lookBackFrom?: number): Promise<string | undefined> {
  // Look back from a little before this activity was first scheduled, or before the workflow says an earlier attempt may have run.
  const from = Math.min(activityInfo().scheduledTimestampMs, lookBackFrom ?? Infinity);
  const oldest = String(Math.floor(from / 1000) - 300);
  const res = threadTs
    ? await slack.readChannel(integration, channel, 'conversations.replies', 'checking for an earlier post', (c) =>
        c.conversations.replies({ channel: channel.id, ts: threadTs, include_all_metadata: true, oldest, limit: 200 }),
      )
    : await slack.readChannel(integration, channel, 'conversations.history', 'checking for an earlier post', (c) =>
        c.conversations.history({ channel: channel.id, include_all_metadata: true, oldest, limit: 200 }),
      );
  const found = res.messages?.find((m) => (m.metadata?.event_payload as Record<string, unknown> | undefined)?.signalroom_key === marker);
  return found?.ts;
}

/** Slack answers a webhook post with `ok` or a short error code: nothing more is read. */
const WEBHOOK_ANSWER_BYTES = 16 * 1024;

export function createMessageActivities(slack: SlackContext, deps: { outbound: OutboundClient }) {
  const { outbound } = deps;
  /** Per message: the tail of its updates in this worker. A call runs when the one before it has been answered. */
  const inFlight = new Map<string, Promise<unknown>>();
  /**
   * Per message: the last update whose answer was lost in this worker, and
   * until when Slack may still apply it. The attempts after it (a local
   * activity's next, or the regular activity it falls back to) wait for it
   * before anything is written, as the attempt that lost it would have.
   */
  const lostUpdates = new Map<string, { version: number; until: number }>();
  /** One chat.postMessage in the integration's own look (its bot name and icon, where configured). */
  const chatPostMessage = (integration: Integration, what: string, args: { channel: string; text: string; blocks?: Array<KnownBlock | Block>; thread_ts?: string; reply_broadcast?: boolean; metadata: MessageMetadata }) =>
    slack.call(integration, 'chat.postMessage', what, (c) =>
      // The SDK's types want text-or-blocks; we always send text as the fallback.
      c.chat.postMessage({ ...args, username: integration.bot?.username, icon_emoji: integration.bot?.iconEmoji, icon_url: integration.bot?.iconUrl } as Parameters<typeof c.chat.postMessage>[0]),
    );
  const rememberLost = (key: string, version: number) => {
    const now = Date.now();
    for (const [k, lost] of lostUpdates) if (lost.until <= now) lostUpdates.delete(k);
    lostUpdates.set(key, { version, until: now + LOST_ANSWER_WINDOW_MS });
  };
  const oneAtATime = <T>(key: string, run: () => Promise<T>): Promise<T> => {
    const result = (inFlight.get(key) ?? Promise.resolve()).then(run, run);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    inFlight.set(key, tail);
    void tail.then(() => inFlight.get(key) === tail && inFlight.delete(key));
    return result;
  };
  /** One post (postMessage, and each of postMessages). */
  const post = async (input: PostMessageInput): Promise<PostedMessage> => {
    const integration = await slack.integration(input.integration);
    return slack.inChannel(integration, input.channel, 'post', async (channel) => {
      const marker = markerFor(input.idempotencyKey);
      const withLink = async (posted: PostedMessage): Promise<PostedMessage> => {
        if (!input.permalink) return posted;
        // The message is posted: a link Slack will not give (or not soon) is no reason to fail, or hold up, the post.
        let timer: NodeJS.Timeout | undefined;
        try {
          const res = await Promise.race([
            slack.call(integration, 'chat.getPermalink', 'linking to the message', (c) => c.chat.getPermalink({ channel: posted.channel, message_ts: posted.ts })),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('no answer within 3 s')), PERMALINK_WAIT_MS);
            }),
          ]);
          return res.permalink ? { ...posted, permalink: res.permalink } : posted;
        } catch (err) {
          log.warn('no permalink for the message', { channel: posted.channel, ts: posted.ts, error: (err as Error).message });
          return posted;
        } finally {
          clearTimeout(timer);
        }
      };
      // A first attempt looks only when the workflow says it may have run before: a local activity run
      // again after a lost workflow task starts again at attempt 1. Otherwise posting costs one call.
      if (activityInfo().attempt > 1 || input.mayHaveRun) {
        const ts = await findPosted(slack, integration, channel, marker, input.threadTs, input.lookBackFrom);
        if (ts) return withLink({ channel: channel.id, ts, existing: true });
      }
      const metadata: MessageMetadata = { event_type: IDEMPOTENCY_EVENT_TYPE, event_payload: { ...input.metadata, signalroom_key: marker } };
      const res = await chatPostMessage(integration, `posting to #${channel.name || channel.id}`, { channel: channel.id, text: input.text, blocks: input.blocks, thread_ts: input.threadTs, reply_broadcast: input.replyBroadcast, metadata });
      return withLink({ channel: String(res.channel ?? channel.id), ts: String(res.ts) });
    });
  };

  return {
    postMessage: post,

    /**
     * Posts several messages in order, one after the other: the posts of
     * consecutive runbook steps, in one local activity (docs/ARCHITECTURE.md,
     * "The path of a runbook step"). A post Slack refuses is answered as
     * refused and the next one is made; one that a retry may mend (a 429,
     * Slack unavailable or not answering) stops the batch there, and the
     * workflow makes it and the rest one by one, telling the first that it
     * may have been posted.
     */
    async postMessages(input: PostMessagesInput): Promise<PostMessagesResult> {
      const done: PostMessagesResult['done'] = [];
      for (const one of input.posts) {
        // Out of its time, the workflow makes the rest one by one: none of them may be posted from here after that.
        if (cancellationSignal().aborted) return { done, stopped: { message: 'the posts made together ran out of their time', mayHavePosted: false } };
        try {
          done.push({ posted: await post(one) });
        } catch (err) {
          if (err instanceof ApplicationFailure && err.nonRetryable) {
            done.push({ refused: err.message });
            continue;
          }
          const retryAfterMs = err instanceof ApplicationFailure ? msOptionalToNumber(err.nextRetryDelay ?? undefined) : undefined;
          // Slack turns a rate-limited call away before applying it; after anything else it may have posted.
          const mayHavePosted = !(err instanceof ApplicationFailure && err.type === 'SlackRateLimited');
          return { done, stopped: { message: (err as Error).message, mayHavePosted, ...(retryAfterMs ? { retryAfterMs } : {}) } };
        }
      }
      return { done };
    },

    /**
     * Replaces a message's text, and its blocks when given; repeating it
     * changes nothing. Without blocks, chat.update keeps the message's blocks
     * (as Slack documents; an empty array would remove them), and a headline
     * block showing the old text is given the new one.
     *
     * The last write to a card is its latest state (SECURITY.md, "A decided
     * outcome stands"). In this worker, one update per message is on its way at a
     * time, until Slack answered it. With a `version`, the message's metadata
     * carries it: an update the message already carries (a retry) or has
     * passed (an older state) is not written again. An update whose answer
     * was lost may still be applied: the attempt waits, within its time, for
     * the message to show it before anything newer is written, and the
     * attempts after it in this worker (a local activity's next, the regular
     * activity it falls back to) wait on, until 27 s after the loss.
     *
     * A live attempt (within the first third of its start-to-close time) of
     * an update that knows what the message was posted with writes without
     * reading it first: while an attempt of version N is live, the workflow
     * has asked for nothing newer (it awaits this update), so the message
     * carries N at most (an earlier attempt's), and writing N again changes
     * nothing. Later in an attempt, after a lost answer, or without
     * `postedWith`, the message is read first, as above.
     */
    async updateMessage(input: UpdateMessageInput): Promise<{ skipped?: true } | void> {
      const started = Date.now();
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        const key = `${integration.name}\u0000${channel.id}\u0000${input.ts}`;
        return oneAtATime(key, async () => {
          const where = `#${channel.name || channel.id}`;
          const read = async () => {
            const res = await slack.readChannel(integration, channel, 'conversations.replies', `reading the message to update in ${where}`, (c) =>
              c.conversations.replies({ channel: channel.id, ts: input.ts, oldest: input.ts, latest: input.ts, inclusive: true, limit: 1, include_all_metadata: true }),
            );
            return res.messages?.find((m) => m.ts === input.ts);
          };
          const attemptUntil = started + (activityInfo().startToCloseTimeoutMs || 30_000) - LOST_ANSWER_MARGIN_MS;
          /** Polls, within `until`, for the message to carry `version`. */
          const shows = async (version: number, until: number) => {
            while (Date.now() + LOST_ANSWER_POLL_MS < until) {
              await new Promise((r) => setTimeout(r, LOST_ANSWER_POLL_MS));
              const now = await read().catch(() => undefined);
              if (now && versionOf(now) >= version) return true;
            }
            return false;
          };
          const versioned = input.version !== undefined;
          const lost = versioned ? lostUpdates.get(key) : undefined;
          if (lost) {
            // An earlier attempt's update may still be applied: nothing is written before the message shows it, or its window ends.
            const seen = Date.now() >= lost.until || versionOf((await read()) ?? {}) >= lost.version || (await shows(lost.version, Math.min(lost.until, attemptUntil)));
            if (!seen && Date.now() < lost.until) {
              throw ApplicationFailure.retryable(`an earlier update of the message in ${where} got no answer and Slack may still apply it: waiting for it before writing`, 'SlackUnreachable');
            }
            if (lostUpdates.get(key) === lost) lostUpdates.delete(key);
          }
          const live = Date.now() - started < (activityInfo().startToCloseTimeoutMs || 30_000) / 3;
          const posted = versioned && input.blocks && !lost && live ? input.postedWith : undefined;
          const current = posted ? undefined : versioned || !input.blocks ? await read() : undefined;
          if (versioned && current && versionOf(current) >= input.version!) {
            log.info('the message already shows this update or a newer one', { channel: channel.id, ts: input.ts, version: input.version, carries: versionOf(current) });
            return { skipped: true as const };
          }
          const blocks = (input.blocks as Array<Record<string, unknown>> | undefined) ?? withHeadline(current?.blocks as Array<Record<string, unknown>> | undefined, input.text);
          // The metadata Slack keeps is replaced by what is sent: keep the post's (its idempotency key) beside the version.
          const kept = posted ? { ...posted.metadata, signalroom_key: markerFor(posted.idempotencyKey) } : (current?.metadata?.event_payload ?? {});
          const metadata: MessageMetadata | undefined = versioned
            ? { event_type: (posted ? undefined : current?.metadata?.event_type) ?? IDEMPOTENCY_EVENT_TYPE, event_payload: { ...kept, [VERSION_FIELD]: input.version! } }
            : undefined;
          try {
            await integration.client.chat.update({
              channel: channel.id,
              ts: input.ts,
              text: input.text,
              ...(blocks ? { blocks: blocks as unknown as Array<KnownBlock | Block> } : {}),
              ...(metadata ? { metadata } : {}),
            });
          } catch (err) {
            const failure = slackFailure(err, { method: 'chat.update', integration: integration.name, doing: `updating a message in ${where}` });
            if (!versioned || !ANSWER_LOST.has(failure.type ?? '')) throw failure;
            // Slack may apply it yet: nothing newer goes out before the message shows it, or this attempt's time is up
            // (and then the next attempt in this worker waits on).
            rememberLost(key, input.version!);
            if (await shows(input.version!, attemptUntil)) {
              lostUpdates.delete(key);
              return;
            }
            throw failure;
          }
        });
      });
    },

    /**
     * A direct message from the app to one person: chat.postMessage to their
     * user id, which Slack delivers in the app's conversation with them (its
     * Messages tab). It carries its idempotency key like every post, but a
     * retry cannot look for an earlier attempt's message: reading a DM needs
     * `im:history`, which Signalroom does not ask for. Only an attempt whose
     * answer was lost (a timeout, a 5xx) can be repeated; a refusal is not.
     * Connector channel permissions name channels, not people: they do not apply.
     */
    async postDirectMessage(input: { integration: string; user: string; text: string; blocks?: Array<KnownBlock | Block>; idempotencyKey: string }): Promise<PostedMessage> {
      if (!USER_ID.test(input.user)) throw refusal('Signalroom:not_a_user', `Not sending a direct message to "${input.user.slice(0, 40)}": not a Slack user id`);
      const integration = await slack.integration(input.integration);
      const metadata: MessageMetadata = { event_type: IDEMPOTENCY_EVENT_TYPE, event_payload: { signalroom_key: markerFor(input.idempotencyKey) } };
      const res = await chatPostMessage(integration, `sending a direct message to ${input.user}`, { channel: input.user, text: input.text, blocks: input.blocks, metadata });
      return { channel: String(res.channel ?? input.user), ts: String(res.ts) };
    },

    /** Only `user` sees it. A repeat after a lost response shows it twice, which is harmless. */
    async postEphemeral(input: { integration: string; channel: string; user: string; text: string; threadTs?: string }): Promise<void> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        await slack.call(integration, 'chat.postEphemeral', `telling ${input.user} in #${channel.name || channel.id}`, (c) =>
          c.chat.postEphemeral({ channel: channel.id, user: input.user, text: input.text, thread_ts: input.threadTs }),
        );
      });
    },

    /**
     * Replies through a click's response_url (also the only way to update a
     * message posted by an incoming webhook). replace_original is idempotent.
     */
    async respondToClick(input: { responseUrl: string; text: string; blocks?: Array<KnownBlock | Block>; replaceOriginal?: boolean; ephemeral?: boolean }): Promise<void> {
      let status: number;
      try {
        // Sealed by the server (the capability never sits in plain text in a history); only Slack's hosts.
        const url = openResponseUrl(input.responseUrl, (integration) => slack.registry.signingSecretOf(integration));
        status = await postToResponseUrl(
          url,
          { text: input.text, blocks: input.blocks, replace_original: input.replaceOriginal ?? false, response_type: input.ephemeral ? 'ephemeral' : 'in_channel' },
          { extraBases: slack.registry.responseUrlBases(), outbound },
        );
      } catch (err) {
        if (err instanceof ResponseUrlRefused || err instanceof OutboundRefused) throw refusal('Signalroom:response_url_refused', `Not answering through this response_url: ${err.message}`);
        throw err;
      }
      if (status === 429 || status >= 500) throw new Error(`response_url answered HTTP ${status}; retrying`);
      if (status < 200 || status >= 300) throw refusal('Slack:response_url', `Slack refused the response_url reply (HTTP ${status}): response URLs expire after 30 minutes and 5 uses`);
    },

    /** Posts into a configured incoming webhook (the approvals document's setup), by name: the URL is a secret. */
    async postToWebhook(input: { webhook: string; text: string; blocks?: Array<KnownBlock | Block> }): Promise<void> {
      let url: string;
      try {
        url = slack.webhookUrl(input.webhook);
      } catch (err) {
        throw refusal('Signalroom:unknown_webhook', (err as Error).message);
      }
      let res: OutboundResponse;
      try {
        res = await outbound.request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: input.text, blocks: input.blocks }),
          maxBytes: WEBHOOK_ANSWER_BYTES,
          timeoutMs: 10_000,
        });
      } catch (err) {
        // The URL is a secret: the refusal names the webhook and the host only.
        if (err instanceof OutboundRefused) throw refusal('Signalroom:outbound_refused', `Not posting to the incoming webhook "${input.webhook}": ${err.message}`);
        throw err;
      }
      if (res.status === 429 || res.status >= 500) throw new Error(`the incoming webhook answered HTTP ${res.status}; retrying`);
      // Slack's answer is an error code (no_service, invalid_payload, channel_is_archived); anything else is not repeated.
      const answer = res.body.toString('utf8').trim();
      const code = /^[a-z_]{1,64}$/.test(answer) ? `: ${answer}` : '';
      if (res.status < 200 || res.status >= 300) throw refusal('Slack:webhook', `The incoming webhook refused the message (HTTP ${res.status}${code}): check the webhook URL`);
    },

    /**
     * Schedules a message with chat.scheduleMessage. Slack offers no lookup
     * of scheduled messages among the methods Signalroom uses, so callers
     * that need exactly-once use a workflow timer and postMessage instead.
     */
    async scheduleMessage(input: { integration: string; channel: string; text: string; postAt: number; blocks?: Array<KnownBlock | Block> }): Promise<{ scheduledMessageId: string }> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        const res = await slack.call(integration, 'chat.scheduleMessage', `scheduling a message in #${channel.name || channel.id}`, (c) =>
          c.chat.scheduleMessage({ channel: channel.id, text: input.text, post_at: input.postAt, blocks: input.blocks }),
        );
        return { scheduledMessageId: String(res.scheduled_message_id) };
      });
    },
  };
}
