/**
 * The postmortem canvas: conversations.canvases.create writes a channel's
 * canvas from Markdown. A channel has one; a retry after a lost answer finds
 * the canvas the first attempt made through conversations.info.
 */
import { activityInfo } from '@temporalio/activity';
import { refusal, slackErrorOf, slackFailure } from '../../src/slack/errors';
import type { SlackContext } from './context';

export function createCanvasActivities(slack: SlackContext) {
  return {
    async createChannelCanvas(input: { integration: string; channel: string; title: string; markdown: string }): Promise<{ canvasId: string; link: string; existing?: boolean }> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, undefined, async (channel) => {
        const auth = await slack.call(integration, 'auth.test', 'finding the workspace for the canvas link', (c) => c.auth.test());
        const linkTo = (id: string) => `${String(auth.url ?? 'https://slack.com/').replace(/\/?$/, '/')}docs/${auth.team_id}/${id}`;
        const doing = `creating the canvas of #${channel.name || channel.id}`;
        try {
          const res = await integration.client.conversations.canvases.create({ channel_id: channel.id, title: input.title, document_content: { type: 'markdown', markdown: input.markdown } });
          return { canvasId: String(res.canvas_id), link: linkTo(String(res.canvas_id)) };
        } catch (err) {
          if (slackErrorOf(err) !== 'channel_canvas_already_exists') throw slackFailure(err, { method: 'conversations.canvases.create', integration: integration.name, doing });
          // On a first attempt the canvas is someone else's: never overwrite or claim it.
          if (activityInfo().attempt === 1) throw refusal('Slack:channel_canvas_already_exists', `#${channel.name || channel.id} already has a canvas; Create Postmortem writes the channel canvas, so use a channel without one`);
          const info = await slack.call(integration, 'conversations.info', 'finding the canvas an earlier attempt created', (c) => c.conversations.info({ channel: channel.id }));
          const id = (info.channel as { properties?: { canvas?: { file_id?: string } } } | undefined)?.properties?.canvas?.file_id;
          if (!id) throw new Error(`#${channel.name || channel.id} says it has a canvas but conversations.info names none; retrying`);
          return { canvasId: id, link: linkTo(id), existing: true };
        }
      });
    },
  };
}
