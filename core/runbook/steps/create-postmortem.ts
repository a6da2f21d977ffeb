/**
 * Create Postmortem: writes the incident's postmortem (timeline, decisions,
 * action items, durations: core/incident/postmortem.ts) as the incident
 * channel's canvas, and posts its link. For `onResolve`. Outputs canvasId,
 * link and ts (the link's message).
 */
import type { StepBase } from '../types';
import { compact, defineStepKind, INCIDENT_CHANNEL } from './kind';

export interface CreatePostmortemStep extends StepBase {
  op: 'createPostmortem';
  channel: string;
  /** Template. @default `Postmortem: [incident.id]` */
  title: string;
}

export const createPostmortem = defineStepKind({
  operation: 'Create Postmortem',
  op: 'createPostmortem',
  schema: ({ stepSchema, text, channel }) => stepSchema('Create Postmortem', "Writes the incident's postmortem as the channel's canvas and posts its link; for onResolve. Outputs canvasId, link and ts.", {
    Channel: channel.optional(),
    Title: text('The canvas title; templates allowed. Default `Postmortem: [incident.id]`.').optional(),
  }),
  outputs: ['canvasId', 'link', 'ts'],
  activities: ['createChannelCanvas', 'postMessage'],
  docs: { fields: { Title: '`Postmortem: [incident.id]`' } },
  verb: 'writing the postmortem canvas',
  channel: 'uses',
  plainFields: [],
  normalize: (s, base): CreatePostmortemStep => compact({ op: 'createPostmortem', ...base, channel: s.Channel ?? INCIDENT_CHANNEL, title: s.Title ?? 'Postmortem: [incident.id]' }),
  async run(step, rt) {
    const channel = rt.channel(step.channel);
    // The author's title, each value escaped: it is shown as the canvas's title and as the link's label.
    const title = rt.mrkdwn(step.title);
    const canvas = await rt.slack.createChannelCanvas({ integration: rt.integration, channel, title, markdown: rt.postmortem() });
    const posted = await rt.slack.postMessage({
      integration: rt.integration,
      channel,
      text: `:memo: Postmortem: <${canvas.link}|${title}>`,
      idempotencyKey: rt.idempotencyKey,
      metadata: { incident: rt.incident.id ?? '' },
    });
    return { outputs: { canvasId: canvas.canvasId, link: canvas.link, ts: posted.ts } };
  },
});
