/**
 * The sandbox's page (the demo's Slack): plain HTML and JS from
 * `src/sandbox/public/`, no build step, and the small JSON API it polls and
 * posts to. A person picks which workspace user they are, reads channels and
 * threads rendered from Block Kit, clicks buttons and fills modals.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { slackEmoji } from '../emoji';
import type { Interactivity } from '../interactivity';
import type { SandboxState } from '../state';
import type { ViewStore } from '../view-store';

interface PageDeps {
  state: SandboxState;
  interactivity: Interactivity;
  views: ViewStore;
  sandbox: { postAsUser(o: { userId: string; channelId: string; text: string; threadTs?: string }): unknown; readonly requestUrl: string | undefined };
}

const PUBLIC_DIR = path.join(__dirname, '..', 'public');
const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/sandbox.css': 'sandbox.css',
};
/**
 * The page's own routes (`/_sandbox/*`) click and post as anyone, so only the
 * page itself may call them: a foreign web page cannot send this header
 * without a CORS preflight the sandbox never grants, and a DNS-rebound name
 * (evil.example resolving to 127.0.0.1) shows up in Host and Origin.
 */
export const SANDBOX_PAGE_HEADER = 'x-signalroom-sandbox';

/** Slack's words in a modal when the app's answer to a submission could not be used. */
export const SLACK_CONNECTION_TROUBLE = 'We had some trouble connecting. Try again?';

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  try {
    const { hostname } = new URL(`http://${hostHeader}`);
    return LOOPBACK_HOSTNAMES.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

/** Why a request to a `/_sandbox/*` route is refused, or undefined. */
export function pageRequestRefusal(headers: Record<string, string | string[] | undefined>, method: string): string | undefined {
  if (!isLoopbackHost(typeof headers.host === 'string' ? headers.host : undefined)) return 'the sandbox page answers on a loopback host only (127.0.0.1, localhost, [::1])';
  const origin = headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (!isLoopbackHost(host)) return 'requests from another origin are refused';
  } else if (origin === 'null') {
    return 'requests from another origin are refused';
  }
  if (headers[SANDBOX_PAGE_HEADER] !== '1') return `the sandbox page's routes need the header ${SANDBOX_PAGE_HEADER}: 1`;
  if (method === 'POST' && !String(headers['content-type'] ?? '').startsWith('application/json')) return 'the sandbox page sends JSON only';
  return undefined;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

export function registerPage(app: FastifyInstance, deps: PageDeps): void {
  const { state, interactivity, views } = deps;

  for (const [route, file] of Object.entries(ASSETS)) {
    app.get(route, async (_req, reply) => reply.type(TYPES[path.extname(file)]!).header('cache-control', 'no-store').send(readFileSync(path.join(PUBLIC_DIR, file), 'utf8')));
  }

  app.get('/archives/:channel/:p', async (req, reply) => {
    const { channel } = req.params as { channel: string };
    return reply.redirect(`/#${encodeURIComponent(channel)}`, 302);
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/_sandbox/')) return;
    const refusal = pageRequestRefusal(req.headers, req.method);
    if (refusal) return reply.code(403).send({ ok: false, error: refusal });
  });

  // The page renders shortcodes from this table; it never changes while the sandbox runs.
  app.get('/_sandbox/emoji', async (_req, reply) => reply.header('cache-control', 'max-age=3600').send(slackEmoji()));

  app.get('/_sandbox/version', async () => ({ version: state.version }));

  app.get('/_sandbox/state', async (req) => {
    const q = req.query as { user?: string };
    const people = [...state.users.values()].filter((u) => !u.isBot);
    const viewer = (q.user && state.users.get(q.user)) || people[0];
    const teamId = viewer?.teamId;
    const name = (id: string) => state.users.get(id)?.realName ?? id;
    const fileView = (id: string) => {
      const f = state.files.get(id);
      return { id, name: f?.name ?? id, title: f?.title ?? f?.name ?? id, size: f?.content?.length ?? 0 };
    };
    const render = (m: { ts: string; user: string; text: string; blocks?: unknown[]; botId?: string; edited?: unknown; reactions?: Array<{ name: string; users: string[] }>; threadTs?: string; username?: string; files?: string[]; subtype?: string }) => ({
      ts: m.ts,
      subtype: m.subtype ?? null,
      user: m.user,
      author: m.username ?? name(m.user),
      isBot: Boolean(m.botId),
      text: m.text,
      blocks: m.blocks ?? null,
      edited: Boolean(m.edited),
      reactions: m.reactions ?? [],
      threadTs: m.threadTs ?? null,
      files: (m.files ?? []).map(fileView),
    });
    const channels = [...state.channels.values()]
      // A person of another workspace of the organization sees the channels shared with theirs.
      .filter((c) => teamId !== undefined && state.sharedWith(c, teamId) && (!c.isPrivate || (viewer && c.members.has(viewer.id))))
      .map((c) => {
        const live = c.messages.filter((m) => !m.deleted);
        return {
          id: c.id,
          name: c.isIm ? `@${name(c.imUser ?? '')}` : c.name,
          isPrivate: c.isPrivate,
          isIm: c.isIm,
          archived: c.archived,
          topic: c.topic.value,
          purpose: c.purpose.value,
          isMember: Boolean(viewer && c.members.has(viewer.id)),
          members: [...c.members].map(name),
          pins: [...c.pins],
          bookmarks: c.bookmarks.map((b) => ({ title: b.title, link: b.link })),
          canvases: [...state.canvases.values()].filter((x) => x.channelId === c.id).map((x) => ({ id: x.id, title: x.title, markdown: x.markdown })),
          messages: live
            .filter((m) => !m.threadTs || m.threadTs === m.ts || m.replyBroadcast)
            .map((m) => ({ ...render(m), replies: live.filter((r) => r.threadTs === m.ts && r.ts !== m.ts).map(render) })),
          ephemerals: state.ephemerals.filter((e) => e.channel === c.id && viewer && e.user === viewer.id).map((e) => ({ ...render({ ...e, user: e.from }), ephemeral: true })),
        };
      });
    const view = viewer ? views.topModal(viewer.id) : undefined;
    const last = [...interactivity.records].reverse().find((r) => r.userId === viewer?.id);
    return {
      version: state.version,
      requestUrl: deps.sandbox.requestUrl ?? null,
      teams: [...state.teams.values()].map((t) => ({ id: t.id, name: t.name })),
      people: people.map((u) => ({ id: u.id, name: u.name, realName: u.realName, teamId: u.teamId })),
      enterprise: teamId ? (state.enterpriseOf(teamId) ?? null) : null,
      viewer: viewer ? { id: viewer.id, name: viewer.name, realName: viewer.realName, teamId: viewer.teamId } : null,
      channels,
      view: view ? { id: view.id, title: view.title, submit: view.submit ?? null, close: view.close ?? null, blocks: view.blocks } : null,
      lastInteraction: last ? { type: last.type, status: last.response.status ?? null, error: last.response.error ?? null, durationMs: Math.round(last.response.durationMs) } : null,
    };
  });

  app.post('/_sandbox/click', async (req, reply) => {
    const b = req.body as { userId: string; channelId: string; messageTs: string; actionId: string; blockId?: string; value?: string };
    try {
      const r = await interactivity.click(b);
      return { ok: true, status: r.response.status ?? null, error: r.response.error ?? null, durationMs: Math.round(r.response.durationMs) };
    } catch (err) {
      return reply.code(400).send({ ok: false, error: (err as Error).message });
    }
  });

  app.post('/_sandbox/submit', async (req, reply) => {
    const b = req.body as { userId: string; viewId?: string; values?: Record<string, string | string[]> };
    try {
      const r = await interactivity.submitView(b);
      return {
        ok: true,
        sent: r.sent,
        missing: r.missing ?? [],
        errors: r.errors ?? {},
        responseAction: r.responseAction ?? null,
        status: r.record?.response.status ?? null,
        // What Slack shows in the modal when it cannot use the app's answer.
        ...(r.refused ? { error: SLACK_CONNECTION_TROUBLE, refused: r.refused } : {}),
      };
    } catch (err) {
      return reply.code(400).send({ ok: false, error: (err as Error).message });
    }
  });

  // Cancel closes the view on top; on a pushed view, as in Slack, the one beneath shows again.
  app.post('/_sandbox/close-view', async (req) => {
    const top = views.topModal((req.body as { userId: string }).userId);
    if (top) views.closeTop(top);
    return { ok: true };
  });

  app.post('/_sandbox/post', async (req, reply) => {
    const b = req.body as { userId: string; channelId: string; text: string; threadTs?: string };
    try {
      // As in Slack's message box: `/signalroom …` is the app's slash command, never a post.
      const typed = /^(\/[a-z0-9_-]+)(?:\s+([\s\S]*))?$/i.exec(b.text.trim());
      if (typed && !b.threadTs) {
        const r = await interactivity.slashCommand({ userId: b.userId, channelId: b.channelId, command: typed[1]!.toLowerCase(), text: (typed[2] ?? '').trim() });
        return { ok: true, command: { status: r.response.status ?? null, error: r.response.error ?? null, durationMs: Math.round(r.response.durationMs) } };
      }
      deps.sandbox.postAsUser(b);
      return { ok: true };
    } catch (err) {
      return reply.code(400).send({ ok: false, error: (err as Error).message });
    }
  });
}
