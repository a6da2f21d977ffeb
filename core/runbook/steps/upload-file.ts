/**
 * Upload File: shares a file in the channel or a thread, e.g. a dashboard
 * panel's render (`Url:`, fetched by the worker) or a text excerpt
 * (`Content:`). Slack's external upload flow; safe to retry (see
 * activities/slack/files.ts). Outputs channel and fileId.
 */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface UploadFileStep extends StepBase {
  op: 'uploadFile';
  channel: string;
  /** Template: an http(s) URL the worker fetches. Exactly one of url and content. */
  url?: string;
  /** Template: the file's text. */
  content?: string;
  /** Template. */
  filename: string;
  /** Template. */
  title?: string;
  /** Template: reply in this thread. */
  threadTs?: string;
}

export const uploadFile = defineStepKind({
  operation: 'Upload File',
  op: 'uploadFile',
  schema: ({ stepSchema, text, channel }) => stepSchema('Upload File', 'Uploads a file (fetched from Url, or Content) into a channel or thread. Outputs channel and fileId.', {
    Channel: channel.optional(),
    Thread: text('Share it in this thread, e.g. `[steps.thread.ts]`.').optional(),
    Url: text('An http(s) URL the worker fetches (at most 10 MB, 15 s), e.g. a Grafana panel render; templates allowed.').optional(),
    Content: text("The file's text; templates allowed.").optional(),
    Filename: text('The file name, e.g. `errors.png`; templates allowed.'),
    Title: text('The title Slack shows; templates allowed.').optional(),
  }),
  outputs: ['channel', 'fileId'],
  activities: ['prepareUpload', 'shareUpload'],
  docs: {
    fields: {
      Url: 'fetched by the worker through the outbound client: a public http(s) address or one of `outbound.privateHosts`, no redirects, at most 10 MB within 15 s — a Grafana panel render',
      Content: 'instead of `Url`',
    },
  },
  verb: 'uploading a file',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): UploadFileStep =>
    compact({ op: 'uploadFile', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, url: s.Url, content: s.Content, filename: s.Filename, title: s.Title, threadTs: s.Thread }),
  check(s, c) {
    if ((s.Url === undefined) === (s.Content === undefined)) c.report(undefined, 'Upload File needs either Url (fetched by the worker) or Content, not both');
    else if (s.Url !== undefined && c.isLiteral(s.Url) && !/^https?:\/\/\S+$/.test(s.Url)) c.report('Url', `"${s.Url}" is not an http(s) URL`);
  },
  async run(step, rt) {
    const filename = rt.render(step.filename);
    const prepared = await rt.slack.prepareUpload({
      integration: rt.integration,
      filename,
      ...(step.url !== undefined ? { url: rt.render(step.url) } : { content: rt.render(step.content ?? '') }),
    });
    const shared = await rt.slack.shareUpload({
      integration: rt.integration,
      fileId: prepared.fileId,
      channel: rt.channel(step.channel),
      threadTs: step.threadTs ? rt.render(step.threadTs) : undefined,
      title: step.title ? rt.mrkdwn(step.title) : filename,
    });
    return { outputs: { channel: shared.channel, fileId: shared.fileId } };
  },
});
