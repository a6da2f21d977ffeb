/**
 * POST /slack/commands — the /signalroom slash command:
 *   /signalroom approvals                      pending approvals you can decide
 *   /signalroom incident open RUNBOOK ID [SEV] [service] [description…]
 *   /signalroom incident update ID text…
 *   /signalroom incident severity ID SEV1
 *   /signalroom incident resolve ID [summary…]
 *   /signalroom incident status ID
 * Verified like clicks (v0 signature), answered within Slack's 3 seconds
 * with an ephemeral message.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '@temporalio/client';
import { verifySlackSignature } from './slack-signature';
import type { SigningSecrets } from './slack-interactions';
import { IncidentInputError } from '../incidents/client';
import { IncidentNotFound, RunbookNotFound, type IncidentService } from '../incidents/service';
import { approvalStateQuery } from '../../workflows/messages';
import type { ApprovalState } from '../../workflows/approval/types';
import { escapeMrkdwn as esc, slackDate } from '../slack/mrkdwn';

export const COMMANDS_PATH = '/slack/commands';

export interface SlackCommandsOptions {
  signingSecrets: SigningSecrets;
  temporal: Client;
  incidents: IncidentService;
  now: () => number;
  /** How long the command may spend looking up approvals before answering. @default 2000 */
  lookupBudgetMs?: number;
}

const HELP = [
  '*/signalroom* commands:',
  '• `/signalroom approvals` — pending approvals you can decide',
  '• `/signalroom incident open RUNBOOK ID [SEV] [service] [description…]`',
  '• `/signalroom incident update ID text…`',
  '• `/signalroom incident severity ID SEV1`',
  '• `/signalroom incident resolve ID [summary…]`',
  '• `/signalroom incident status ID`',
].join('\n');

const ephemeral = (text: string) => ({ response_type: 'ephemeral', text });

/** Pending approvals `userId` may still decide (approver, not the requester, not decided yet). */
export async function pendingApprovalsFor(temporal: Client, userId: string, budgetMs: number): Promise<{ decidable: ApprovalState[]; unchecked: string[] }> {
  const deadline = Date.now() + budgetMs;
  const ids: string[] = [];
  for await (const wf of temporal.workflow.list({ query: `SignalroomKind = 'approval' AND SignalroomStatus = 'pending' AND ExecutionStatus = 'Running'`, pageSize: 50 })) {
    ids.push(wf.workflowId);
    if (ids.length >= 50) break;
  }
  const decidable: ApprovalState[] = [];
  const unchecked: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      try {
        const left = Math.max(100, deadline - Date.now());
        const state = await temporal.connection.withDeadline(Date.now() + left, () => temporal.workflow.getHandle(id).query(approvalStateQuery));
        const approver = Object.values(state.approvers).some((members) => members.includes(userId));
        const decided = state.decisions.some((d) => d.user.id === userId);
        const self = state.requester === userId && !state.request.allowSelfApproval;
        if (state.status === 'pending' && approver && !decided && !self) decidable.push(state);
      } catch {
        unchecked.push(id);
      }
    }),
  );
  return { decidable, unchecked };
}

export const slackCommands: FastifyPluginAsync<SlackCommandsOptions> = async (app, options) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => done(null, body));

  app.post(COMMANDS_PATH, { schema: { hide: true } }, async (request, reply) => {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const form = new URLSearchParams(rawBody);
    if (form.get('ssl_check') === '1') return reply.send({ ok: true });
    const secrets = typeof options.signingSecrets === 'function' ? options.signingSecrets({ teamId: form.get('team_id') ?? undefined, apiAppId: form.get('api_app_id') ?? undefined }) : options.signingSecrets;
    const check = verifySlackSignature({
      rawBody,
      signature: request.headers['x-slack-signature'] as string | undefined,
      timestamp: request.headers['x-slack-request-timestamp'] as string | undefined,
      secrets,
      nowMs: options.now(),
    });
    if (!check.ok) return reply.code(401).send({ error: check.problem, message: check.message });
    const userId = form.get('user_id');
    if (!userId) return reply.code(400).send({ error: 'malformed_command', message: 'user_id is missing', field: 'user_id' });

    const words = (form.get('text') ?? '').trim().split(/\s+/).filter(Boolean);
    const [topic, verb, id, ...rest] = words;
    try {
      if (!topic || topic === 'help') return reply.send(ephemeral(HELP));
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
        if (verb === 'resolve' && id) {
          await svc.resolve(id, userId, rest.join(' ') || undefined);
          return reply.send(ephemeral(`Resolving ${esc(id)}: the post-incident steps are running.`));
        }
        if (verb === 'status' && id) {
          const state = await svc.state(id);
          const last = state.timeline.slice(-5).map((t) => `• ${t.at.slice(11, 19)} ${t.kind}: ${esc(t.text)}`);
          return reply.send(ephemeral(`*${esc(id)}* — ${state.status}, severity ${esc(state.incident.severity ?? 'unset')}, ${state.updates} updates\n${last.join('\n')}`));
        }
      }
      return reply.send(ephemeral(`I did not understand \`${esc(words.join(' '))}\`.\n${HELP}`));
    } catch (err) {
      if (err instanceof IncidentNotFound || err instanceof RunbookNotFound || err instanceof IncidentInputError) return reply.send(ephemeral(esc(err.message)));
      request.log.error({ err }, 'slash command failed');
      return reply.send(ephemeral('Signalroom could not do that right now (Temporal unreachable?). Try again in a moment.'));
    }
  });
};
