/**
 * Incoming webhooks (the approvals document's setup): a secret URL that posts
 * into one channel as the app's bot. Answers like Slack: `ok`, or a 4xx with
 * `invalid_payload`, `no_text`, `invalid_blocks`, `no_service`, `channel_is_archived`.
 */
import type { FastifyInstance } from 'fastify';
import { normalizeBlocks, parseBlocks, validateBlocks } from './block-kit';
import { randomHex } from './ids';
import type { SandboxState } from './state';

interface Hook {
  channelId: string;
  teamId: string;
}

export class IncomingWebhooks {
  private hooks = new Map<string, Hook>();
  constructor(
    private readonly state: SandboxState,
    readonly baseUrl: () => string,
  ) {}

  create(channelId: string): string {
    const channel = this.state.channels.get(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    const team = this.state.team(channel.teamId);
    const path = `/services/${team.id}/${team.botId}/${randomHex(12)}`;
    this.hooks.set(path, { channelId, teamId: team.id });
    return `${this.baseUrl()}${path}`;
  }

  register(app: FastifyInstance): void {
    app.post('/services/:team/:bot/:secret', async (req, reply) => {
      const hook = this.hooks.get(req.url.split('?')[0]!);
      if (!hook) return reply.code(404).type('text/plain').send('no_service');
      let body = req.body as Record<string, unknown> | undefined;
      if (body && typeof body.payload === 'string') {
        try {
          body = JSON.parse(body.payload);
        } catch {
          return reply.code(400).type('text/plain').send('invalid_payload');
        }
      }
      if (!body || typeof body !== 'object') return reply.code(400).type('text/plain').send('invalid_payload');
      const channel = this.state.channels.get(hook.channelId);
      if (!channel) return reply.code(404).type('text/plain').send('channel_not_found');
      if (channel.archived) return reply.code(410).type('text/plain').send('channel_is_archived');
      const parsed = parseBlocks(body.blocks);
      if (parsed.problem) return reply.code(400).type('text/plain').send('invalid_blocks');
      if (parsed.blocks && validateBlocks(parsed.blocks)) return reply.code(400).type('text/plain').send('invalid_blocks');
      const text = typeof body.text === 'string' ? body.text : '';
      if (!text && !parsed.blocks?.length && !Array.isArray(body.attachments)) return reply.code(400).type('text/plain').send('no_text');
      const team = this.state.team(hook.teamId);
      this.state.addMessage(channel, {
        user: team.botUserId,
        botId: team.botId,
        text,
        blocks: parsed.blocks ? normalizeBlocks(parsed.blocks) : undefined,
        attachments: Array.isArray(body.attachments) ? body.attachments : undefined,
        threadTs: typeof body.thread_ts === 'string' ? body.thread_ts : undefined,
        via: 'webhook',
      });
      return reply.code(200).type('text/plain').send('ok');
    });
  }

  reset(): void {
    this.hooks.clear();
  }
}
