/** files.getUploadURLExternal and files.completeUploadExternal: Slack's external upload flow, and the upload URL itself. */
import type { FastifyInstance } from 'fastify';
import { randomHex, slackId } from '../ids';
import { ApiError } from '../api-error';
import { jsonArg, str, type MethodHandler } from '../method-context';
import { postRefusal } from '../rules';
import type { SandboxState } from '../state';

/** Slack's limit on one file. */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

const getUploadURLExternal: MethodHandler = (ctx) => {
  const filename = str(ctx, 'filename');
  const length = Number(str(ctx, 'length') ?? ctx.args.length);
  if (!filename || !Number.isInteger(length) || length <= 0) throw new ApiError('missing_argument');
  if (length > MAX_FILE_BYTES) throw new ApiError('file_upload_size_restricted');
  const alt = str(ctx, 'alt_txt');
  if (alt && alt.length > 1000) throw new ApiError('alt_txt_too_large');
  const id = slackId('F');
  const uploadKey = randomHex(16);
  ctx.state.files.set(id, { id, teamId: ctx.token.teamId, user: ctx.token.userId, name: filename, length, uploadKey, created: ctx.state.nowSeconds() });
  return { upload_url: `${ctx.services.baseUrl()}/upload/v1/${id}/${uploadKey}`, file_id: id };
};

const completeUploadExternal: MethodHandler = (ctx) => {
  const list = jsonArg(ctx, 'files');
  if (list.malformed || !Array.isArray(list.value) || list.value.length === 0) throw new ApiError('file_not_found');
  const entries = list.value as Array<{ id?: unknown; title?: unknown }>;
  const files = entries.map((e) => {
    const f = typeof e?.id === 'string' ? ctx.state.files.get(e.id) : undefined;
    // Slack knows only uploads of this caller whose bytes arrived, and completes each once.
    if (!f || f.teamId !== ctx.token.teamId || f.user !== ctx.token.userId || !f.content || f.sharedIn) throw new ApiError('file_not_found');
    return { file: f, title: typeof e.title === 'string' && e.title ? e.title : undefined };
  });
  const channelId = str(ctx, 'channel_id');
  const out = files.map(({ file, title }) => ({ id: file.id, title: title ?? file.name }));
  if (!channelId) {
    for (const { file, title } of files) file.title = title ?? file.name;
    ctx.state.changed();
    return { files: out };
  }
  const channel = ctx.state.channels.get(channelId);
  if (!channel || channel.teamId !== ctx.token.teamId) throw new ApiError('channel_not_found');
  const refusal = postRefusal(channel, ctx.token);
  if (refusal) throw new ApiError(refusal === 'is_archived' ? 'posting_to_channel_denied' : refusal);
  let threadTs = str(ctx, 'thread_ts');
  if (threadTs) {
    const parent = channel.messages.find((m) => m.ts === threadTs && !m.deleted);
    // Slack lists no error of its own for a thread that is not there.
    if (!parent) throw new ApiError('posting_to_channel_denied');
    threadTs = parent.threadTs ?? parent.ts;
  }
  const m = ctx.state.addMessage(channel, {
    user: ctx.token.userId,
    botId: ctx.token.botId,
    appId: ctx.token.type === 'bot' ? ctx.token.appId : undefined,
    text: str(ctx, 'initial_comment') ?? '',
    files: files.map(({ file }) => file.id),
    threadTs,
    via: 'api',
  });
  for (const { file, title } of files) {
    file.title = title ?? file.name;
    file.sharedIn = { channel: channel.id, ts: m.ts };
  }
  ctx.state.changed();
  return { files: out };
};

/** A channel canvas: one per channel, written by a member, from markdown. */
const conversationsCanvasesCreate: MethodHandler = (ctx) => {
  const channelId = str(ctx, 'channel_id');
  const channel = channelId ? ctx.state.channels.get(channelId) : undefined;
  if (!channel || channel.teamId !== ctx.token.teamId || channel.isIm) throw new ApiError('channel_canvas_creation_failed');
  if (!channel.members.has(ctx.token.userId) || channel.archived) throw new ApiError('restricted_action');
  if ([...ctx.state.canvases.values()].some((c) => c.channelId === channel.id)) throw new ApiError('channel_canvas_already_exists');
  const doc = jsonArg(ctx, 'document_content');
  if (doc.malformed) throw new ApiError('canvas_creation_failed');
  const content = (doc.value ?? { type: 'markdown', markdown: '' }) as { type?: unknown; markdown?: unknown };
  if (content.type !== 'markdown' || (content.markdown !== undefined && typeof content.markdown !== 'string')) throw new ApiError('canvas_creation_failed');
  const markdown = (content.markdown as string | undefined) ?? '';
  if (markdown.length > 1_048_576) throw new ApiError('canvas_creation_failed');
  const id = slackId('F');
  ctx.state.canvases.set(id, { id, channelId: channel.id, title: str(ctx, 'title') ?? '', markdown, createdBy: ctx.token.userId, created: ctx.state.nowSeconds() });
  ctx.state.changed();
  return { canvas_id: id };
};

export const fileMethods: Record<string, MethodHandler> = {
  'conversations.canvases.create': conversationsCanvasesCreate,
  'files.getUploadURLExternal': getUploadURLExternal,
  'files.completeUploadExternal': completeUploadExternal,
};

/** The upload URL files.getUploadURLExternal hands out: takes the bytes, as Slack's answers "OK - <size>". */
export function registerUploadRoute(app: FastifyInstance, state: SandboxState): void {
  app.register(async (upload) => {
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_req, body, done) => done(null, body));
    upload.post<{ Params: { id: string; key: string } }>('/upload/v1/:id/:key', async (req, reply) => {
      const f = state.files.get(req.params.id);
      if (!f || f.uploadKey !== req.params.key || f.sharedIn) return reply.code(404).type('text/plain').send('Not Found');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      f.content = body;
      state.changed();
      return reply.code(200).type('text/plain').send(`OK - ${body.length}`);
    });
  });
}
