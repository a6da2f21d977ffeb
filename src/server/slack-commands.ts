/**
 * POST /slack/commands — the /signalroom slash command:
 *   /signalroom approvals                      pending approvals you can decide
 *   /signalroom incident open RUNBOOK ID [SEV] [service] [description…]
 *   /signalroom incident update ID text…
 *   /signalroom incident severity ID SEV1
 *   /signalroom incident resolve ID [summary…]
 *   /signalroom incident task add ID text… | task done ID N | task list ID
 *   /signalroom incident status ID
 *   /signalroom freeze create NAME --stages … --services … (--from … --until … | --cron … --duration …) [--tz ZONE] --reason …
 *   /signalroom freeze list
 *   /signalroom freeze end NAME [reason…]
 * Verified like clicks (v0 signature), answered within Slack's 3 seconds
 * with an ephemeral message.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '@temporalio/client';
import { slackRequests, type SlackAppsSource } from './slack-request';
import type { ServerMetrics } from './metrics';
import { refuseCommandWrites, type CommandAuthorizer } from '../incidents/command-access';
import { fromOrganization, ORGANIZATION, type OrganizationWorkspace } from '../slack/integrations';
import type { IncidentService } from '../incidents/service';
import { SignalroomError } from '../errors';
import { pendingApprovalsFor } from '../approvals/pending';
import { escapeMrkdwn as esc, slackDate, userMention, USER_ID } from '../../core/slack/mrkdwn';
import { SIGNATURE_MAX_AGE_SECONDS } from './slack-signature';
import { SeenKeys } from './seen-keys';
import type { FreezeService } from '../freezes/service';
import { refuseFreezeWrites, type FreezeAuthorizer } from '../freezes/command-access';
import { FreezeCommandUsage, freezeRequestFromWords } from '../freezes/command-text';
import { parseFreezeRequest } from '../freezes/request';
import { describeFreeze } from '../freezes/describe';
import { describeWindow } from '../../core/holds/freeze';

export const COMMANDS_PATH = '/slack/commands';

/**
 * The longest command text taken. The command parses nothing nested (it
 * splits words), so its bound is its length (SECURITY.md, "Parsing text
 * from outside cannot kill the server"): a description or update longer
 * than this belongs in the channel, not the command.
 */
export const MAX_COMMAND_TEXT = 4000;

export type { CommandAuthorizer } from '../incidents/command-access';

export interface SlackCommandsOptions {
  /** The Slack apps requests may come from; the command is the organization app's. */
  apps: SlackAppsSource;
  metrics: ServerMetrics;
  /** Who may change incidents. @default nobody (reads only) */
  authorize?: CommandAuthorizer;
  temporal: Client;
  incidents: IncidentService;
  now: () => number;
  /** How long the command may spend looking up approvals before answering. @default 2000 */
  lookupBudgetMs?: number;
  /**
   * The organization app's own workspace (and Enterprise Grid organization):
   * a command from any other workspace is refused, reads included, since the
   * same app installed elsewhere signs with the same secret.
   * @default none: every workspace the signature vouches for (setups without Slack integrations)
   */
  workspace?: () => Promise<OrganizationWorkspace>;
  /** `/signalroom freeze`: the freezes, and who may create and end them (deploys.freezeGroups). @default off */
  freezes?: SlackFreezeCommands;
}

export interface SlackFreezeCommands {
  service: FreezeService;
  /** @default nobody (listing only) */
  authorize?: FreezeAuthorizer;
}

/** How long the first command may wait for Slack to say which workspace the app is in (Slack wants its answer within 3 s). */
const WORKSPACE_LOOKUP_MS = 2000;

const HELP = [
  '*/signalroom* commands:',
  '• `/signalroom approvals` — pending approvals you can decide',
  '• `/signalroom incident open RUNBOOK ID [SEV] [service] [description…]`',
  '• `/signalroom incident update ID text…`',
  '• `/signalroom incident severity ID SEV1`',
  '• `/signalroom incident role ID commander @person`',
  '• `/signalroom incident resolve ID [summary…]`',
  '• `/signalroom incident status ID`',
  '• `/signalroom incident task add ID text…` · `task done ID N` · `task list ID` — action items',
  '• `/signalroom freeze create NAME --stages production --services checkout --from 2027-11-27T00:00 --until 2027-11-30T00:00 --tz Europe/Berlin --reason Black Friday` (or `--cron 0 22 * * * --duration 8h` for a recurring window)',
  '• `/signalroom freeze list` · `/signalroom freeze end NAME [reason…]`',
].join('\n');

const ephemeral = (text: string) => ({ response_type: 'ephemeral', text });

/** Verbs that change an incident: they need a responder (see command-access.ts). */
const WRITING_VERBS = new Set(['open', 'update', 'severity', 'resolve', 'task', 'role']);

export const slackCommands: FastifyPluginAsync<SlackCommandsOptions> = async (app, options) => {
  // Raw body, signature and the app that signed: the same check as clicks.
  await app.register(slackRequests, { apps: options.apps, metrics: options.metrics, bodyLimit: 16 * 1024, now: options.now });
  const authorize = options.authorize ?? refuseCommandWrites;
  // A signed command verifies for as long as its timestamp is fresh (both ways): the same
  // signature seen again in that time is the same request sent again, and acts once.
  const received = new SeenKeys(2 * SIGNATURE_MAX_AGE_SECONDS * 1000 + 60_000, 100_000);
  const refused = (why: string) => {
    options.metrics.countClick('command_refused');
    // The reason names what was asked (an incident id as typed): text, never markup.
    return ephemeral(`Not done: ${esc(why)}.`);
  };

  app.post(COMMANDS_PATH, { schema: { hide: true } }, async (request, reply) => {
    const form = request.slackForm!.fields;
    const userId = form.get('user_id');
    if (!userId) return reply.code(400).send({ error: 'malformed_command', message: 'user_id is missing', field: 'user_id' });
    // The signature covers the timestamp and the exact body: it names this request.
    if (!received.firstTime(`${request.headers['x-slack-signature']}`)) {
      options.metrics.countClick('command_replayed');
      request.log.warn({ userId }, 'slash command replayed');
      return reply.send(ephemeral('Not done: this exact command was already received, so it was not run again.'));
    }
    // The command belongs to the organization's app: a connector's app (another workspace's, say) may not drive incidents.
    if (!request.slack!.integrations.includes(ORGANIZATION)) {
      return reply.send(refused(`/signalroom is served for the organization's Slack app only, and this command came from ${request.slack!.integrations.join(', ')}`));
    }
    // The organization's app may be installed in other workspaces too, and Slack signs their commands with the
    // same secret: only the organization's own workspace (or a workspace of its Enterprise Grid) is answered.
    if (options.workspace) {
      const claim = { teamId: request.slack!.teamId, enterpriseId: request.slack!.enterpriseId };
      let home: OrganizationWorkspace;
      try {
        home = await withinMs(options.workspace(), WORKSPACE_LOOKUP_MS);
      } catch (err) {
        request.log.error({ err }, 'the organization workspace is unknown: slash command not run');
        return reply.send(ephemeral('Signalroom could not confirm which Slack workspace it serves right now, so it did nothing. Try again in a moment.'));
      }
      if (!fromOrganization(home, claim)) {
        request.log.warn({ userId, ...claim }, 'slash command from another workspace refused');
        return reply.send(refused(`/signalroom answers the organization’s own Slack workspace only, and this command came from workspace ${claim.teamId ?? '(none named)'}`));
      }
    }

    const text = form.get('text') ?? '';
    if (text.length > MAX_COMMAND_TEXT) return reply.send(refused(`a command is at most ${MAX_COMMAND_TEXT.toLocaleString('en-US')} characters, and this one has ${text.length.toLocaleString('en-US')}`));
    const words = text.trim().split(/\s+/).filter(Boolean);
    const [topic, verb, id, ...rest] = words;
    // `incident task add|done|list ID …`: the incident id follows the task verb.
    const task = verb === 'task' ? { verb: id, incidentId: rest[0], args: rest.slice(1) } : undefined;
    try {
      if (topic === 'incident' && verb && WRITING_VERBS.has(verb) && id && task?.verb !== 'list') {
        const incidentId = verb === 'open' ? undefined : (task?.incidentId ?? id);
        const access = await authorize({ userId, verb, incidentId });
        if (!access.ok) {
          request.log.warn({ userId, verb, incidentId }, 'slash command refused');
          return reply.send(refused(access.why));
        }
      }
      if (topic === 'freeze' && (verb === 'create' || verb === 'end')) {
        const access = await (options.freezes?.authorize ?? refuseFreezeWrites)({ userId, verb });
        if (!access.ok) {
          request.log.warn({ userId, verb }, 'slash command refused');
          return reply.send(refused(access.why));
        }
      }
      if (!topic || topic === 'help') return reply.send(ephemeral(HELP));
      if (topic === 'freeze' && options.freezes && verb) {
        const freezes = options.freezes.service;
        if (verb === 'create') {
          let fields: Record<string, unknown>;
          try {
            fields = freezeRequestFromWords(words.slice(2));
          } catch (err) {
            if (err instanceof FreezeCommandUsage) return reply.send(refused(err.message));
            throw err;
          }
          const { created, freeze } = await freezes.create(parseFreezeRequest(fields, { createdBy: userId }, options.now()));
          const when = freeze.current ? `holding now, ${describeWindow(freeze.current, freeze.timeZone)}` : freeze.next ? `from ${describeWindow(freeze.next, freeze.timeZone)}` : 'with no window left';
          return reply.send(ephemeral(`Freeze *${esc(freeze.name)}* ${created ? 'created' : 'was already on'} (\`${esc(freeze.workflowId)}\`): holds ${esc(freeze.stages.join(', '))} › ${esc(freeze.services.join(', '))} ${when}.`));
        }
        if (verb === 'list') {
          const views = await freezes.list();
          return reply.send(ephemeral(views.length ? `Freezes:\n${views.map((v) => describeFreeze(v, esc).join('\n')).join('\n')}` : 'No freezes are on.'));
        }
        if (verb === 'end' && id) {
          await freezes.end(id, { by: userId, ...(rest.length ? { reason: rest.join(' ') } : {}) });
          return reply.send(ephemeral(`Freeze *${esc(id)}* ended: its hold is lifted.`));
        }
      }
      if (topic === 'approvals') {
        const { decidable, unchecked } = await pendingApprovalsFor(options.temporal, userId, options.lookupBudgetMs ?? 2000);
        const lines = decidable.map((s) => `• *${esc(s.request.pipeline)} › ${esc(s.request.stage)}* (${esc(s.request.execution)}) — ${s.approvals} of ${s.needed}, expires ${slackDate(s.expiresAt, '{time}')} — \`${esc(s.workflowId)}\``);
        const text = lines.length ? `Pending approvals you can decide:\n${lines.join('\n')}` : 'No pending approvals for you to decide.';
        return reply.send(ephemeral(unchecked.length ? `${text}\n_(${unchecked.length} more could not be checked right now.)_` : text));
      }
      if (topic === 'incident') {
        const svc = options.incidents;
        if (verb === 'open' && id && rest.length) {
          const [incidentId, severity, service, ...description] = rest;
          const inputs: Record<string, string> = { 'incident.id': incidentId };
          if (severity) inputs['incident.severity'] = severity;
          if (service) inputs['incident.service'] = service;
          if (description.length) inputs['incident.description'] = description.join(' ');
          const opened = await svc.open(id, inputs, userId);
          return reply.send(ephemeral(`Incident ${esc(incidentId)} is open with runbook ${esc(id)} (\`${esc(opened.workflowId)}\`).`));
        }
        if (verb === 'update' && id && rest.length) {
          await svc.update(id, rest.join(' '), userId);
          return reply.send(ephemeral(`Update for ${esc(id)} recorded.`));
        }
        if (verb === 'severity' && id && rest[0]) {
          await svc.setSeverity(id, rest[0], userId);
          return reply.send(ephemeral(`Severity of ${esc(id)} set to ${esc(rest[0])}.`));
        }
        if (verb === 'role' && id && rest[0] === 'commander' && rest[1]) {
          // Slack sends a mention as <@U…|name>: the id is what counts.
          const user = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(rest[1])?.[1] ?? rest[1];
          if (!USER_ID.test(user)) return reply.send(ephemeral(`Name the commander as a mention (@person) or a Slack user id; "${esc(rest[1])}" is neither.`));
          await svc.setCommander(id, user, userId);
          return reply.send(ephemeral(`${userMention(user)} is now the commander of ${esc(id)}.`));
        }
        if (verb === 'resolve' && id) {
          await svc.resolve(id, userId, rest.join(' ') || undefined);
          return reply.send(ephemeral(`Resolving ${esc(id)}: the post-incident steps are running.`));
        }
        if (task?.incidentId && task.verb === 'add' && task.args.length) {
          const item = await svc.task(task.incidentId, { action: 'add', text: task.args.join(' '), by: userId });
          return reply.send(ephemeral(`Action item #${item.id} added to ${esc(task.incidentId)}.`));
        }
        if (task?.incidentId && task.verb === 'done' && /^#?\d+$/.test(task.args[0] ?? '')) {
          const item = await svc.task(task.incidentId, { action: 'done', item: Number(task.args[0].replace('#', '')), by: userId });
          return reply.send(ephemeral(`Action item #${item.id} of ${esc(task.incidentId)} is done.`));
        }
        if (task?.incidentId && task.verb === 'list') {
          const items = await svc.tasks(task.incidentId);
          const lines = items.map((i) => `• #${i.id} ${i.status === 'done' ? ':white_check_mark:' : ':ballot_box_with_check:'} ${esc(i.text)}`);
          return reply.send(ephemeral(lines.length ? `Action items of ${esc(task.incidentId)}:\n${lines.join('\n')}` : `${esc(task.incidentId)} has no action items.`));
        }
        if (verb === 'status' && id) {
          const state = await svc.state(id);
          const last = state.timeline.slice(-5).map((t) => `• ${t.at.slice(11, 19)} ${t.kind}: ${esc(t.text)}`);
          return reply.send(ephemeral(`*${esc(id)}* — ${state.status}, severity ${esc(state.incident.severity ?? 'unset')}, ${state.updates} updates\n${last.join('\n')}`));
        }
      }
      return reply.send(ephemeral(`I did not understand \`${esc(words.join(' '))}\`.\n${HELP}`));
    } catch (err) {
      // A refusal (no such incident, bad inputs, a task the incident refused) is told as it is; anything else is our fault.
      if (err instanceof SignalroomError && err.status < 500) return reply.send(ephemeral(esc(err.message)));
      request.log.error({ err }, 'slash command failed');
      return reply.send(ephemeral('Signalroom could not do that right now (Temporal unreachable?). Try again in a moment.'));
    }
  });
};

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
