/**
 * POST /slack/interactions — Slack's Request URL for buttons and modals.
 *
 * Verify (v0 signature over the raw body), route, signal, acknowledge: always
 * within Slack's 3 seconds, never waiting on the worker (docs/ARCHITECTURE.md, "The path of a click").
 * Anything unsigned, stale, malformed or too large gets a 4xx naming the
 * problem and never reaches a workflow.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ClickDelivery, MESSAGES, type EarlyOutcome } from './click-delivery';
import type { Interaction, InteractionRoute, OpenViewDecision, SlackInteractionPayload } from './interaction-routes';
import type { ServerMetrics } from './metrics';
import { responseUrlProblem } from '../slack/response-url';
import { slackRequests, type SlackAppsSource, type SlackForm, type VerifiedSlackApp } from './slack-request';

/** Opens a modal through the named integration's client (`views.open`); rejects with Slack's reason. */
export type OpenSlackView = (decision: OpenViewDecision, triggerId: string) => Promise<void>;

export const MODAL_MESSAGES = {
  noTrigger: 'Slack sent no trigger to open the form with, so nothing was done: please click again.',
  unavailable: 'This Signalroom server cannot open Slack forms (no Slack integration is configured for it), so nothing was done.',
  failed: (why: string) => `Signalroom could not open the form (${why}), so nothing was done: please click again.`,
};

export interface SlackInteractionsOptions {
  /** The Slack apps a click may come from (see slack-request.ts). */
  apps: SlackAppsSource;
  /** Where response URLs may point besides Slack's hosts (the sandbox's, when it is the configured Slack). */
  responseUrlBases: () => readonly string[];
  /** How a route's `openView` is carried out. @default none: the clicker is told forms are unavailable */
  openView?: OpenSlackView;
  routes: readonly InteractionRoute[];
  delivery: ClickDelivery;
  metrics: ServerMetrics;
  /** Largest accepted body. @default 65536 (64 KiB) */
  bodyLimit: number;
  now: () => number;
}

export const INTERACTIONS_PATH = '/slack/interactions';

type Parsed = { ok: true; payload: SlackInteractionPayload } | { ok: false; field: string; message: string };

/**
 * Checks the fields Signalroom relies on in the form's `payload` (read as
 * JSON once, by the Slack-request plugin); anything else in the payload is
 * passed along untouched.
 */
export function parseInteractionPayload(json: SlackForm['payload']): Parsed {
  if (json === undefined) return { ok: false, field: 'payload', message: 'the form field `payload` is missing' };
  if ('error' in json) return { ok: false, field: 'payload', message: `payload is not valid JSON: ${json.error}` };
  const { value } = json;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, field: 'payload', message: 'payload must be a JSON object' };
  const p = value as Record<string, unknown>;
  if (typeof p.type !== 'string') return { ok: false, field: 'payload.type', message: 'payload.type must be a string' };
  const user = p.user as Record<string, unknown> | undefined;
  if (!user || typeof user !== 'object' || typeof user.id !== 'string' || !user.id) {
    return { ok: false, field: 'payload.user.id', message: 'payload.user.id must be a Slack user id' };
  }
  for (const key of ['response_url', 'trigger_id', 'api_app_id'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'string') return { ok: false, field: `payload.${key}`, message: `payload.${key} must be a string` };
  }
  if (p.response_urls !== undefined && (!Array.isArray(p.response_urls) || p.response_urls.some((r) => !r || typeof r !== 'object' || typeof (r as { response_url?: unknown }).response_url !== 'string'))) {
    return { ok: false, field: 'payload.response_urls', message: 'payload.response_urls must be a list of { response_url }' };
  }
  if (typeof p.response_url === 'string' && !/^https?:\/\//.test(p.response_url)) {
    return { ok: false, field: 'payload.response_url', message: 'payload.response_url must be an http(s) URL' };
  }
  if (p.type === 'block_actions') {
    if (!Array.isArray(p.actions) || p.actions.length === 0) return { ok: false, field: 'payload.actions', message: 'block_actions needs a non-empty actions array' };
    for (const [i, a] of (p.actions as unknown[]).entries()) {
      const action = a as Record<string, unknown> | null;
      if (!action || typeof action !== 'object' || typeof action.action_id !== 'string') {
        return { ok: false, field: `payload.actions.${i}.action_id`, message: 'every action needs a string action_id' };
      }
      if (action.value !== undefined && typeof action.value !== 'string') {
        return { ok: false, field: `payload.actions.${i}.value`, message: 'an action value must be a string' };
      }
    }
  }
  if (p.type === 'view_submission') {
    const view = p.view as Record<string, unknown> | undefined;
    if (!view || typeof view !== 'object' || typeof view.callback_id !== 'string') {
      return { ok: false, field: 'payload.view.callback_id', message: 'view_submission needs view.callback_id' };
    }
    if (view.private_metadata !== undefined && typeof view.private_metadata !== 'string') {
      return { ok: false, field: 'payload.view.private_metadata', message: 'view.private_metadata must be a string' };
    }
  }
  return { ok: true, payload: p as unknown as SlackInteractionPayload };
}

function responseUrlsOf(payload: SlackInteractionPayload): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (payload.response_url) out.push(['payload.response_url', payload.response_url]);
  for (const [i, r] of (payload.response_urls ?? []).entries()) if (typeof r?.response_url === 'string') out.push([`payload.response_urls.${i}.response_url`, r.response_url]);
  return out;
}

function interactionsOf(payload: SlackInteractionPayload, app: VerifiedSlackApp): Interaction[] {
  const responseUrl = payload.response_url ?? payload.response_urls?.[0]?.response_url;
  if (payload.type === 'block_actions') {
    return (payload.actions ?? []).map((action) => ({ type: 'block_actions', id: action.action_id, action, payload, responseUrl, app }));
  }
  if (payload.type === 'view_submission' && payload.view) {
    return [{ type: 'view_submission', id: payload.view.callback_id, view: payload.view, payload, responseUrl, app }];
  }
  return [];
}

/** A modal answers a submission in the HTTP response: this replaces its content with a note. */
function modalNote(text: string) {
  return {
    response_action: 'update',
    view: {
      type: 'modal',
      title: { type: 'plain_text', text: 'Signalroom' },
      close: { type: 'plain_text', text: 'Close' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
    },
  };
}

export const slackInteractions: FastifyPluginAsync<SlackInteractionsOptions> = async (app, options) => {
  const { delivery, metrics } = options;
  const count = metrics.countClick;

  // Raw body, signature and the app that signed: checked once for every Slack route.
  await app.register(slackRequests, { apps: options.apps, metrics, bodyLimit: options.bodyLimit, now: options.now });

  const refuse = (reply: FastifyReply, status: number, error: string, message: string, field?: string) => {
    reply.request.logFields = { error, field };
    return reply.code(status).send({ error, message, ...(field ? { field } : {}) });
  };

  app.post(
    INTERACTIONS_PATH,
    {
      bodyLimit: options.bodyLimit,
      // One log line per click, with its outcome (src/server/request-log.ts).
      config: { oneLogLine: true },
      schema: {
        hide: true,
        headers: {
          type: 'object',
          properties: { 'x-slack-signature': { type: 'string' }, 'x-slack-request-timestamp': { type: 'string' } },
        },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = parseInteractionPayload(request.slackForm!.payload);
      if (!parsed.ok) {
        count('malformed');
        return refuse(reply, 400, 'malformed_payload', parsed.message, parsed.field);
      }
      const payload = parsed.payload;
      // A reply capability pointing anywhere but Slack is refused before anything else happens (SSRF).
      const bases = options.responseUrlBases();
      for (const [field, url] of responseUrlsOf(payload)) {
        const problem = responseUrlProblem(url, bases);
        if (problem) {
          count('malformed');
          return refuse(reply, 400, 'malformed_payload', problem, field);
        }
      }
      const interactions = interactionsOf(payload, request.slack!);
      if (interactions.length === 0) {
        // view_closed, shortcuts, suggestions: nothing Signalroom acts on yet.
        request.logFields = { type: payload.type, outcome: 'not_handled' };
        return reply.code(200).send();
      }

      const retryNum = request.headers['x-slack-retry-num'];
      type Answer = { outcome: EarlyOutcome | 'replied' | 'unrouted' | 'modal_opened'; text?: string; route?: string; workflowId?: string };
      // Several actions in one payload are delivered side by side, so together they stay within one ack window.
      const outcomes: Answer[] = await Promise.all(
        interactions.map(async (interaction): Promise<Answer> => {
          const route = options.routes.find((r) => r.matches(interaction));
          if (!route) {
            count('unrouted');
            request.log.warn({ id: interaction.id }, 'no route for this interaction');
            delivery.tellInBackground(interaction.responseUrl, MESSAGES.unrouted);
            return { outcome: 'unrouted', text: MESSAGES.unrouted };
          }
          const decision = route.toSignal(interaction);
          if ('reply' in decision) {
            count('replied');
            delivery.tellInBackground(interaction.responseUrl, decision.reply);
            return { outcome: 'replied', text: decision.reply, route: route.name };
          }
          if ('openView' in decision) {
            // The trigger_id expires 3 seconds after the click: open the modal now, before acknowledging.
            const problem = !payload.trigger_id ? MODAL_MESSAGES.noTrigger : !options.openView ? MODAL_MESSAGES.unavailable : undefined;
            const failure =
              problem ??
              (await options.openView!(decision.openView, payload.trigger_id!).then(
                () => undefined,
                (err: Error) => {
                  request.log.warn({ route: route.name, err: err.message }, 'could not open the modal');
                  return MODAL_MESSAGES.failed(err.message);
                },
              ));
            if (failure) {
              count('undeliverable');
              delivery.tellInBackground(interaction.responseUrl, failure);
              return { outcome: 'undeliverable', text: failure, route: route.name };
            }
            count('modal_opened');
            return { outcome: 'modal_opened', route: route.name };
          }
          const clickKey = interaction.type === 'block_actions' ? interaction.action.action_ts : payload.view?.id;
          const outcome = await delivery.deliver({
            workflowId: decision.workflowId,
            signal: decision.signal,
            args: decision.args,
            responseUrl: interaction.responseUrl,
            dedupeKey: clickKey ? `${payload.user.id}|${interaction.id}|${clickKey}` : undefined,
            userId: payload.user.id,
          });
          const { workflowId } = decision;
          if (outcome === 'throttled') {
            if (delivery.shouldTellThrottled(payload.user.id, workflowId)) delivery.tellInBackground(interaction.responseUrl, MESSAGES.throttled);
            return { outcome, text: payload.type === 'view_submission' ? MESSAGES.throttled : undefined, route: route.name, workflowId };
          }
          return { outcome, text: outcome === 'workflow_finished' ? MESSAGES.workflowFinished : outcome === 'undeliverable' ? MESSAGES.undeliverable : undefined, route: route.name, workflowId };
        }),
      );
      // The request's one log line says what became of each interaction (src/server/request-log.ts).
      const logged = outcomes.map(({ route, workflowId, outcome }) => ({ route, workflowId, outcome }));
      request.logFields = logged.length === 1 ? { ...logged[0], retryNum } : { interactions: logged, retryNum };

      // A modal without a response_url can only learn a refusal from this answer.
      const note = outcomes.find((o) => o.text)?.text;
      if (payload.type === 'view_submission' && note) return reply.code(200).send(modalNote(note));
      return reply.code(200).send();
    },
  );
};
