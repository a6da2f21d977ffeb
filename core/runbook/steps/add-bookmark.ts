/** Add Bookmark: a link in the channel header (dashboard, status page, doc). */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface AddBookmarkStep extends StepBase {
  op: 'addBookmark';
  channel: string;
  title: string;
  /** Template; an http(s) URL once rendered. */
  link: string;
  /** An emoji like `:bar_chart:`. */
  emoji?: string;
}

export const addBookmark = defineStepKind({
  operation: 'Add Bookmark',
  op: 'addBookmark',
  schema: ({ z, stepSchema, text, channel }) => stepSchema('Add Bookmark', 'Adds a link to the channel header.', {
    Channel: channel.optional(),
    Title: text('The bookmark title; templates allowed.'),
    Link: text('An http(s) URL; templates allowed.'),
    Emoji: z.string().regex(/^:[a-z0-9_+-]+:$/, { error: 'an emoji like :bar_chart:' }).optional().describe('An emoji like :bar_chart:.'),
  }),
  outputs: ['channel'],
  activities: ['addBookmark'],
  verb: 'bookmarking a link',
  channel: 'uses',
  plainFields: ['Emoji'],
  normalize: (s, base): AddBookmarkStep => compact({ op: 'addBookmark', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, title: s.Title, link: s.Link, emoji: s.Emoji }),
  check(s, c) {
    if (c.isLiteral(s.Link) && !/^https?:\/\/\S+$/.test(s.Link)) c.report('Link', `"${s.Link}" is not an http(s) URL`);
  },
  async run(step, rt) {
    await rt.slack.addBookmark({ integration: rt.integration, channel: rt.channel(step.channel), title: rt.render(step.title), link: rt.render(step.link), emoji: step.emoji });
    return { outputs: { channel: rt.channel(step.channel) } };
  },
});
