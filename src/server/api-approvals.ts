/**
 * /api/v1/approvals: what a pipeline calls to ask for approval and wait for
 * it, and what a tool calls to decide or cancel. Same workflow and rules as
 * the CLI and the Slack buttons.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiErrorResponses, errorResponse, strictBody, textOrNumber } from './api';
import { unprocessable } from './errors';
import { actingUser, recordedCaller, type ApiCaller } from './api-auth';
import type { ApprovalService } from '../approvals/service';
import { MAX_APPROVAL_ID_LENGTH } from '../approvals/client';
import { ApprovalOutcomeSchema, ApprovalViewSchema } from '../approvals/view';
import { parseDuration } from '../../core/runbook/duration';
import type { ApprovalRequest } from '../../core/approval/types';
import { USER_ID } from '../../core/slack/mrkdwn';
import { DEFAULT_APPROVAL_TIMEOUT } from '../../core/approval/durations';
import { MAX_APPROVALS } from '../../core/approval/policy';
import { MAX_CALLBACK_URL_LENGTH } from '../../core/approval/callback';
import { OVERRIDE_REASON_MAX } from '../../core/holds/policy';

/** The worker's first answer to a request (ApprovalVerdict in src/approvals/service.ts). */
const ApprovalVerdictSchema = z.union([
  z.object({ posted: z.literal(true), permalink: z.string().optional() }),
  z.object({ failed: z.string().describe('Why the run failed before its card was posted, e.g. a channel that does not exist.') }),
]);

/** The longest a single wait call holds the connection. */
export const MAX_WAIT_MS = 60_000;
const DEFAULT_WAIT = '30s';

const Name = z.string().min(1).max(200);
/** The link rule of core/slack/mrkdwn.ts (`linkProblem`) as a pattern, so a refused link is a 400 naming `link`. */
const LINK_PATTERN = /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^/?#|<>\s]+[^|<>\s]*$/;

const UserId = z.string().max(32).regex(USER_ID).describe('A Slack user ID.');

const Created = z.object({ id: z.string(), created: z.boolean() });

const IdParams = z.object({ id: z.string().min(1).max(MAX_APPROVAL_ID_LENGTH) });

const CreateBody = strictBody({
  pipeline: textOrNumber(Name),
  stage: textOrNumber(Name),
  execution: textOrNumber(Name),
  service: Name.optional().describe('The service deployed, which incident holds and freezes match (README, "Deploys and incidents"). Default: the pipeline.'),
  approverGroups: z.array(Name).min(1).max(20).describe('Approver group names from the configuration (`approverGroups`).'),
  channel: z.string().min(1).max(100).optional().describe('Post the card here (`#deploys` or `C0123`). Exactly one of channel and webhook.'),
  webhook: z.string().min(1).max(100).optional().describe('Post through this configured incoming webhook instead.'),
  project: Name.optional(),
  connector: Name.optional(),
  summary: z.string().max(1000).optional(),
  link: z.string().max(2000).regex(LINK_PATTERN).optional().describe('An http(s) URL without `|`, `<`, `>` or spaces (a link cannot carry its own label).'),
  requestedBy: z.string().max(200).optional().describe('The executor (Slack user ID or email): may not approve unless allowSelfApproval.'),
  minApprovals: z.number().int().min(1).max(MAX_APPROVALS).default(1),
  minPerGroup: z
    .record(Name, z.number().int().min(1).max(MAX_APPROVALS))
    .refine((mins) => Object.keys(mins).length <= 40, 'at most 40 groups')
    .meta({ maxProperties: 40 })
    .optional()
    .describe(`Approvals needed from each group, by group name: at most ${MAX_APPROVALS} in all, and no more than a group's configured people.`),
  allowSelfApproval: z.boolean().default(false),
  timeout: z.string().max(20).default(DEFAULT_APPROVAL_TIMEOUT).describe('A duration like 30m, 2h, 1h30m.'),
  onTimeout: z.enum(['reject', 'approve']).default('reject'),
  remindEvery: z.string().max(20).optional(),
  escalation: strictBody({ after: z.string().max(20), approverGroups: z.array(Name).min(1).max(20) }).optional(),
  rejectionNeedsReason: z.boolean().default(false).describe('Reject opens a modal asking why.'),
  callback: z
    .string()
    .max(MAX_CALLBACK_URL_LENGTH)
    .regex(/^[Hh][Tt][Tt][Pp][Ss]?:\/\//)
    .optional()
    .describe('An http(s) URL told the outcome once decided: a signed POST (`X-Signalroom-Signature`), through the outbound client\u2019s address rules (a private host only where `outbound.privateHosts` names it; 422 otherwise). README, "Pipelines".'),
  inputs: z
    .array(strictBody({ name: z.string().max(50), label: z.string().min(1).max(100), required: z.boolean().optional() }))
    .max(10)
    .optional()
    .describe('Fields an approver fills in (Approve opens a modal); returned in the result\u2019s `inputs`.'),
});

const DecisionBody = strictBody({
  verb: z.enum(['approve', 'reject']),
  user: UserId.optional().describe('Who decides. Defaults to the token’s own Slack user (`slackUser`); naming anyone else needs `approvals:decide-as-anyone`.'),
  reason: z.string().max(3000).optional(),
  inputs: z
    .record(z.string(), z.string().max(3000))
    .refine((inputs) => Object.keys(inputs).length <= 10, 'at most 10 inputs')
    .meta({ maxProperties: 10 })
    .optional(),
});

const OverrideBody = strictBody({
  kind: z.enum(['exception', 'break-glass']).describe('`exception`: granted by the incident\u2019s commander or an exception group (anyone else asks them); `break-glass`: by a member of `deploys.breakGlass.groups`, and reviewed afterwards.'),
  user: UserId.optional().describe('Who grants or breaks. Defaults to the token\u2019s own Slack user (`slackUser`); naming anyone else needs `approvals:decide-as-anyone`.'),
  reason: z.string().min(1).max(OVERRIDE_REASON_MAX).describe('Why: required, recorded, and shown on the card and in the incident.'),
});

const CancelBody = strictBody({ by: UserId.optional(), reason: z.string().max(1000).optional() }).optional();

function toRequest(body: z.infer<typeof CreateBody>): ApprovalRequest {
  const { channel, webhook, project, connector, callback, ...body_ } = body;
  const rest = { ...body_, ...(callback === undefined ? {} : { notify: [{ kind: 'callback' as const, url: callback }] }) };
  if (webhook) {
    if (channel) throw unprocessable('Give exactly one of channel and webhook.', 'webhook');
    if (connector) throw unprocessable('A webhook card is posted by the webhook’s own app: leave connector out.', 'connector');
    return { ...rest, destination: { webhook, project } };
  }
  if (!channel) throw unprocessable('Give exactly one of channel and webhook.', 'channel');
  return { ...rest, destination: { channel, project, connector } };
}

/** Whom a token decides as: its own Slack user, or anyone only with `approvals:decide-as-anyone`; a decision needs someone. */
function deciderFor(caller: ApiCaller, named: string | undefined): string {
  const decider = actingUser(caller, named, 'approvals:decide-as-anyone', { verb: 'decide', acts: 'decides', acting: 'deciding' });
  if (!decider) throw unprocessable(`Name the deciding user: the token "${caller.name}" is bound to no Slack user (slackUser).`, 'body.user');
  return decider;
}

export function approvalApiRoutes(service: ApprovalService): FastifyPluginAsync {
  return async (plain) => {
    const api = plain.withTypeProvider<ZodTypeProvider>();
    api.post(
      '/approvals',
      {
        config: { permission: 'approvals:write' },
        schema: {
          operationId: 'requestApproval',
          summary: 'Ask for an approval (idempotent on pipeline, stage and execution)',
          description:
            'Posts the approval card and returns its id: 201 when this call started it, 200 with the same id when an approval for the same pipeline, stage and execution is already running with the same request, 409 when it is running with a different one. Self-approval and approval on timeout are granted only where the configuration allows them for every approver group (422 otherwise).',
          tags: ['approvals'],
          body: CreateBody,
          response: {
            200: { description: 'Already running: its id', content: { 'application/json': { schema: Created } } },
            201: { description: 'Started', content: { 'application/json': { schema: Created } } },
            409: errorResponse('An approval with the same pipeline, stage and execution is running with a different request; `fields` names what differs. It was not joined.'),
            ...apiErrorResponses(400, 422),
          },
        },
      },
      async (request, reply) => {
        const created = await service.create(toRequest(request.body));
        return reply.code(created.created ? 201 : 200).send(created);
      },
    );

    api.get(
      '/approvals/:id',
      {
        config: { permission: 'approvals:read' },
        schema: {
          operationId: 'getApproval',
          summary: "An approval's state (and its verdict once final)",
          tags: ['approvals'],
          params: IdParams,
          response: { 200: { description: 'The approval', content: { 'application/json': { schema: ApprovalViewSchema } } }, ...apiErrorResponses(404) },
        },
      },
      async (request) => service.get(request.params.id),
    );

    api.get(
      '/approvals/:id/wait',
      {
        config: { permission: 'approvals:read' },
        schema: {
          operationId: 'waitForApproval',
          summary: 'Long-poll: the final approval as soon as it is decided, or 202 with its state when `timeout` passes first',
          tags: ['approvals'],
          params: IdParams,
          querystring: z.object({ timeout: z.string().max(20).default(DEFAULT_WAIT).describe(`How long to hold the call, at most ${MAX_WAIT_MS / 1000}s.`) }),
          response: {
            200: { description: 'Final: approved, rejected, expired or cancelled', content: { 'application/json': { schema: ApprovalViewSchema } } },
            202: { description: 'Still pending when the timeout passed: call again', content: { 'application/json': { schema: ApprovalViewSchema } } },
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request, reply) => {
        const ms = waitMs(request.query.timeout);
        const { done, approval } = await service.wait(request.params.id, ms);
        return reply.code(done ? 200 : 202).send(approval);
      },
    );

    api.get(
      '/approvals/:id/verdict',
      {
        config: { permission: 'approvals:read' },
        schema: {
          operationId: 'approvalVerdict',
          summary: "Long-poll: the worker's first verdict on a request (its card posted, or the run failed), so a caller knows before it moves on",
          tags: ['approvals'],
          params: IdParams,
          querystring: z.object({ timeout: z.string().max(20).default(DEFAULT_WAIT).describe(`How long to hold the call, at most ${MAX_WAIT_MS / 1000}s.`) }),
          response: {
            200: {
              description: 'The verdict: `posted` (with the card\'s `permalink`), or `failed` with the reason. A request refused by the worker (an unknown approver group, a requester who is nobody in Slack) is a 422 instead.',
              content: { 'application/json': { schema: ApprovalVerdictSchema } },
            },
            202: { description: 'No worker has checked the request yet when the timeout passed: call again', content: { 'application/json': { schema: z.object({ pending: z.literal(true) }) } } },
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request, reply) => {
        const ms = waitMs(request.query.timeout);
        // An id no approval has is a 404, as for every approval route, not a wait on nothing.
        await service.get(request.params.id);
        const verdict = await service.firstVerdict(request.params.id, undefined, ms);
        return verdict ? reply.code(200).send(verdict) : reply.code(202).send({ pending: true as const });
      },
    );

    api.post(
      '/approvals/:id/decisions',
      {
        config: { permission: 'approvals:decide' },
        schema: {
          operationId: 'decideApproval',
          summary: 'Approve or reject as a Slack user, under the same rules as a click (updates the card)',
          tags: ['approvals'],
          params: IdParams,
          body: DecisionBody,
          response: {
            200: { description: 'Recorded', content: { 'application/json': { schema: ApprovalOutcomeSchema } } },
            409: errorResponse('Refused: `message` says why (not an approver, already decided, a reason needed, already final)'),
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request) => {
        const { verb, user, reason, inputs } = request.body;
        const caller = request.apiToken!;
        const decider = deciderFor(caller, user);
        return service.decide(request.params.id, { verb, user: { id: decider }, reason, inputs, by: recordedCaller(caller) });
      },
    );

    api.post(
      '/approvals/:id/overrides',
      {
        config: { permission: 'approvals:decide' },
        schema: {
          operationId: 'overrideApprovalHold',
          summary: 'Grant an exception to a held approval\u2019s hold, or break the glass, as a Slack user, under the same rules as the card\u2019s buttons',
          tags: ['approvals'],
          params: IdParams,
          body: OverrideBody,
          response: {
            200: { description: 'Granted (or the glass broken)', content: { 'application/json': { schema: ApprovalOutcomeSchema } } },
            409: errorResponse('Refused: `message` says why (not the commander, not in a break-glass group, nothing holds it, already final)'),
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request) => {
        const { kind, user, reason } = request.body;
        const caller = request.apiToken!;
        const actor = deciderFor(caller, user);
        return service.override(request.params.id, { kind, user: { id: actor }, reason, by: recordedCaller(caller) });
      },
    );

    api.post(
      '/approvals/:id/cancel',
      {
        config: { permission: 'approvals:write' },
        schema: {
          operationId: 'cancelApproval',
          summary: 'Cancel a pending approval; its card says so and loses its buttons',
          tags: ['approvals'],
          params: IdParams,
          body: CancelBody,
          response: {
            200: { description: 'Cancelled', content: { 'application/json': { schema: ApprovalOutcomeSchema } } },
            409: errorResponse('Already final'),
            ...apiErrorResponses(400, 404),
          },
        },
      },
      async (request) => {
        const { by, reason } = request.body ?? {};
        const caller = request.apiToken!;
        // Naming who cancels is acting as them: the same rule as deciding.
        const canceller = actingUser(caller, by, 'approvals:decide-as-anyone', { verb: 'cancel', acts: 'cancels', acting: 'cancelling' });
        return service.cancel(request.params.id, canceller, reason, recordedCaller(caller));
      },
    );
  };
}

/** The wait's bound: a duration of at most MAX_WAIT_MS. */
function waitMs(timeout: string): number {
  let ms: number;
  try {
    ms = parseDuration(timeout);
  } catch (err) {
    throw unprocessable(`timeout: ${err instanceof Error ? err.message : String(err)}`, 'querystring.timeout');
  }
  if (ms > MAX_WAIT_MS) throw unprocessable(`timeout: at most ${MAX_WAIT_MS / 1000}s per call; call again to wait longer`, 'querystring.timeout');
  return ms;
}
