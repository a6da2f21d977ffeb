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
import type { SlackContext } from './context';

/** The most a runbook may upload: a dashboard render or a log excerpt, not an archive. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** How long fetching a `Url:` may take. */
export const FETCH_TIMEOUT_MS = 15_000;

export interface PrepareUploadInput {
  integration: string;
  filename: string;
  /** Fetched by the activity: http(s) only, no redirects, at most MAX_UPLOAD_BYTES within FETCH_TIMEOUT_MS. */
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

export function createFileActivities(slack: SlackContext, deps: { fetch?: typeof fetch; maxBytes?: number; fetchTimeoutMs?: number } = {}) {
  const doFetch = deps.fetch ?? fetch;
  const maxBytes = deps.maxBytes ?? MAX_UPLOAD_BYTES;
  const timeoutMs = deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS;

  /** The bytes of a `Url:`; refusals name what to fix, network trouble and 5xx are retried. */
  async function fetchBounded(url: string): Promise<Buffer> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw refusal('Signalroom:bad_url', `"${url}" is not a URL: Upload File fetches http(s) URLs only`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw refusal('Signalroom:bad_url', `Upload File fetches http(s) URLs only, not ${parsed.protocol}`);
    const res = await doFetch(parsed, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    if (res.status >= 300 && res.status < 400) throw refusal('Signalroom:redirect', `${parsed.origin}${parsed.pathname} answered a redirect (HTTP ${res.status}); Upload File does not follow redirects: give the final URL`);
    if (res.status === 429 || res.status >= 500) throw new Error(`${parsed.origin}${parsed.pathname} answered HTTP ${res.status}; retrying`);
    if (!res.ok) throw refusal('Signalroom:fetch_refused', `${parsed.origin}${parsed.pathname} answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) throw refusal('Signalroom:file_too_large', `the file at ${parsed.origin}${parsed.pathname} is ${declared} bytes; the limit is ${maxBytes}`);
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          throw refusal('Signalroom:file_too_large', `the file at ${parsed.origin}${parsed.pathname} is over the limit of ${maxBytes} bytes`);
        }
        chunks.push(Buffer.from(value));
      }
    }
    return Buffer.concat(chunks);
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
      const res = await doFetch(target, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 429 || res.status >= 500) throw new Error(`Slack's upload URL answered HTTP ${res.status}; retrying`);
      if (!res.ok) throw refusal('Slack:upload_refused', `Slack refused the file's bytes (HTTP ${res.status})`);
      return { fileId: String(ticket.file_id), size: bytes.length };
    },

    /** Shares a prepared upload in a channel or thread; a retry finds the message that already carries it. */
    async shareUpload(input: ShareUploadInput): Promise<{ channel: string; fileId: string; ts?: string }> {
      const integration = await slack.integration(input.integration);
      const channel = await slack.permittedChannel(integration, input.channel, 'post');
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
    },
  };
}
