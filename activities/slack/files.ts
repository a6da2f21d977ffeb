/**
 * File uploads through Slack's external upload flow: files.getUploadURLExternal,
 * the bytes to the URL Slack gave, then files.completeUploadExternal to share
 * the file in a channel or thread.
 *
 * Two activities, so each is safe to run twice: preparing again leaves an
 * upload that was never completed (Slack never shows it), and sharing first
 * looks for a message that already carries the file.
 */
import { activityInfo } from '@temporalio/activity';
import { refusal } from '../../src/slack/errors';
import { OutboundRefused, type OutboundClient, type OutboundResponse } from '../../src/net/outbound';
import type { SlackContext } from './context';

/** The most a runbook may upload: a dashboard render or a log excerpt, not an archive. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** How long fetching a `Url:` may take. */
export const FETCH_TIMEOUT_MS = 15_000;

export interface PrepareUploadInput {
  integration: string;
  filename: string;
  /** Fetched by the activity through the outbound client (src/net/outbound.ts): a public http(s) address, no redirects, at most MAX_UPLOAD_BYTES within FETCH_TIMEOUT_MS. */
  url?: string;
  /** The file's text, when it is not fetched. */
  content?: string;
  altText?: string;
}

export interface ShareUploadInput {
  integration: string;
  fileId: string;
  channel: string;
  threadTs?: string;
  title?: string;
  comment?: string;
}

/** Slack answers the upload of the bytes with `OK - <n>` or a short error. */
const UPLOAD_ANSWER_BYTES = 16 * 1024;

/**
 * An outbound refusal as the step's problem: it names the host, never the
 * URL's path or anything the host answered. Network trouble stays retryable.
 */
function asStepFailure(err: unknown, fileLimit?: number): Error {
  if (err instanceof OutboundRefused) {
    if (err.reason === 'too_large' && fileLimit !== undefined) return refusal('Signalroom:file_too_large', `the file at ${err.host} is over the limit of ${fileLimit} bytes`);
    return refusal(err.reason === 'redirect' ? 'Signalroom:redirect' : 'Signalroom:outbound_refused', err.message);
  }
  return err as Error;
}

export function createFileActivities(slack: SlackContext, deps: { outbound: OutboundClient; maxBytes?: number; fetchTimeoutMs?: number }) {
  const { outbound } = deps;
  const maxBytes = deps.maxBytes ?? MAX_UPLOAD_BYTES;
  const timeoutMs = deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;

  /** The bytes of a `Url:`, through the outbound client; refusals name what to fix, network trouble and 5xx are retried. */
  async function fetchBounded(url: string): Promise<Buffer> {
    let res: OutboundResponse;
    try {
      res = await outbound.request(url, { maxBytes, timeoutMs });
    } catch (err) {
      throw asStepFailure(err, maxBytes);
    }
    const host = new URL(url).host;
    if (res.status === 429 || res.status >= 500) throw new Error(`${host} answered HTTP ${res.status}; retrying`);
    if (res.status < 200 || res.status >= 300) throw refusal('Signalroom:fetch_refused', `${host} answered HTTP ${res.status}`);
    return res.body;
  }

  return {
    /** Gets the bytes and hands them to Slack; returns the file id to share. Not shared yet: a retry leaves only an unseen upload. */
    async prepareUpload(input: PrepareUploadInput): Promise<{ fileId: string; size: number }> {
      if ((input.url === undefined) === (input.content === undefined)) throw refusal('Signalroom:bad_upload', 'Upload File needs either Url or Content');
      const bytes = input.url !== undefined ? await fetchBounded(input.url) : Buffer.from(input.content!, 'utf8');
      if (bytes.length === 0) throw refusal('Signalroom:empty_file', 'the file is empty: Slack does not take empty uploads');
      if (bytes.length > maxBytes) throw refusal('Signalroom:file_too_large', `the file is ${bytes.length} bytes; the limit is ${maxBytes}`);
      const integration = await slack.integration(input.integration);
      const ticket = await slack.call(integration, 'files.getUploadURLExternal', `preparing the upload of ${input.filename}`, (c) =>
        c.files.getUploadURLExternal({ filename: input.filename, length: bytes.length, ...(input.altText ? { alt_text: input.altText } : {}) }),
      );
      const uploadUrl = String(ticket.upload_url);
      // The bytes go only to Slack: its file host, or the configured Slack's own origin (the sandbox).
      const target = new URL(uploadUrl);
      if (target.origin !== new URL(integration.apiUrl).origin && target.hostname !== 'files.slack.com') {
        throw refusal('Signalroom:upload_host', `Slack gave an upload URL on ${target.hostname}, which is not Slack's; refusing to send the file there`);
      }
      let res: OutboundResponse;
      try {
        res = await outbound.request(target, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' }, maxBytes: UPLOAD_ANSWER_BYTES, timeoutMs });
      } catch (err) {
        throw asStepFailure(err);
      }
      if (res.status === 429 || res.status >= 500) throw new Error(`Slack's upload URL answered HTTP ${res.status}; retrying`);
      if (res.status < 200 || res.status >= 300) throw refusal('Slack:upload_refused', `Slack refused the file's bytes (HTTP ${res.status})`);
      return { fileId: String(ticket.file_id), size: bytes.length };
    },

    /** Shares a prepared upload in a channel or thread; a retry finds the message that already carries it. */
    async shareUpload(input: ShareUploadInput): Promise<{ channel: string; fileId: string; ts?: string }> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        if (activityInfo().attempt > 1) {
          const oldest = String(Math.floor(activityInfo().scheduledTimestampMs / 1000) - 300);
          const res = input.threadTs
            ? await slack.call(integration, 'conversations.replies', 'checking for an earlier upload', (c) => c.conversations.replies({ channel: channel.id, ts: input.threadTs!, oldest, limit: 200 }))
            : await slack.call(integration, 'conversations.history', 'checking for an earlier upload', (c) => c.conversations.history({ channel: channel.id, oldest, limit: 200 }));
          const found = res.messages?.find((m) => m.files?.some((f) => f.id === input.fileId));
          if (found) return { channel: channel.id, fileId: input.fileId, ts: found.ts };
        }
        await slack.call(integration, 'files.completeUploadExternal', `sharing a file in #${channel.name || channel.id}`, (c) =>
          c.files.completeUploadExternal({
            files: [{ id: input.fileId, ...(input.title ? { title: input.title } : {}) }],
            channel_id: channel.id,
            ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
            ...(input.comment ? { initial_comment: input.comment } : {}),
          } as never),
        );
        return { channel: channel.id, fileId: input.fileId };
      });
    },
  };
}
