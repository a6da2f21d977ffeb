/**
 * /api/v1/approvals: what a pipeline calls to ask for approval and wait for
 * it, and what a tool calls to decide or cancel. Same workflow and rules as
 * the CLI and the Slack buttons.
 */
import type { FastifyPluginAsync } from 'fastify';
import { apiErrorResponses } from './api';
import { forbidden, HttpError, notFound, unprocessable } from './errors';
import { hasPermission, type ApiCaller } from './api-auth';
import { ApprovalConflict, ApprovalInputError } from '../approvals/client';
import { ApprovalNotFound, ApprovalRefused, type ApprovalService } from '../approvals/service';
import { parseDuration } from '../runbook/duration';
import type { ApprovalRequest } from '../../workflows/approval/types';
import { DEFAULT_APPROVAL_TIMEOUT } from '../../workflows/approval/durations';

/** The longest a single wait call holds the connection. */
export const MAX_WAIT_MS = 60_000;
const DEFAULT_WAIT = '30s';

const Name = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** The link rule of src/slack/mrkdwn.ts (`linkProblem`) as a JSON-schema pattern, so a refused link is a 400 naming `link`. */
const LINK_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^/?#|<>\\s]+[^|<>\\s]*$';

const UserId = { type: 'string', pattern: '^[UW][A-Z0-9]{2,30}$', description: 'A Slack user ID.' } as const;

const DecidedBy = {
  type: 'object',
  description: 'API and CLI decisions: the API token (by name) or the CLI operator that made it.',
  properties: { token: { type: 'string' }, operator: { type: 'string' } },
} as const;

const Decision = {
  type: 'object',
  required: ['verb', 'user', 'at', 'via', 'groups'],
  properties: {
    verb: { type: 'string', enum: ['approve', 'reject'] },
    user: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    at: { type: 'string', format: 'date-time' },
    via: { type: 'string', enum: ['slack', 'cli', 'api'] },
    reason: { type: 'string' },
    inputs: { type: 'object', additionalProperties: { type: 'string' } },
    groups: { type: 'array', items: { type: 'string' } },
    by: DecidedBy,
  },
} as const;

const Refused = {
  type: 'object',
  required: ['verb', 'user', 'at', 'via', 'why'],
  properties: {
    verb: { type: 'string', enum: ['approve', 'reject'] },
    user: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    at: { type: 'string', format: 'date-time' },
    via: { type: 'string', enum: ['slack', 'cli', 'api'] },
    why: { type: 'string' },
    by: DecidedBy,
  },
} as const;

const Approval = {
  type: 'object',
  description: 'An approval: its state while pending; once final, also `proceed` and `inputs`.',
  required: ['id', 'status', 'pipeline', 'stage', 'execution', 'approvers', 'approvals', 'needed', 'decisions', 'refused', 'expiresAt', 'escalated'],
  properties: {
    id: { type: 'string', description: 'The workflow id, `approval:<pipeline>:<stage>:<execution>` (each part percent-encoded where it holds `:` or `%`).' },
    status: { type: 'string', enum: ['pending', 'approved', 'rejected', 'expired', 'cancelled', 'failed'], description: '`failed`: the run failed, was terminated or timed out; `reason` says why.' },
    reason: { type: 'string', description: 'Failed only: the root cause, e.g. a channel that does not exist.' },
    pipeline: { type: 'string' },
    stage: { type: 'string' },
    execution: { type: 'string' },
    summary: { type: 'string' },
    link: { type: 'string' },
    approvers: { type: 'object', description: 'Eligible Slack user IDs by approver group.', additionalProperties: { type: 'array', items: { type: 'string' } } },
    approvals: { type: 'integer' },
    needed: { type: 'integer' },
    decisions: { type: 'array', items: Decision },
    refused: { type: 'array', items: Refused },
    expiresAt: { type: 'string', format: 'date-time' },
    escalated: { type: 'boolean' },
    finishedAt: { type: 'string', format: 'date-time' },
    outcomeNote: { type: 'string' },
    message: { type: 'object', description: 'The Slack card, once posted.', properties: { channel: { type: 'string' }, ts: { type: 'string' }, permalink: { type: 'string', description: 'A link that opens the card in Slack.' } } },
    proceed: { type: 'boolean', description: 'Final only: may the pipeline go on (approved, or expired with onTimeout approve)?' },
    inputs: { type: 'object', additionalProperties: { type: 'string' }, description: 'Final only: what the approvers filled in.' },
  },
} as const;

const Outcome = {
  type: 'object',
  required: ['accepted', 'message', 'status'],
  properties: { accepted: { type: 'boolean' }, message: { type: 'string' }, status: Approval.properties.status },
} as const;

const IdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 400 } } } as const;

const CreateBody = {
  type: 'object',
  required: ['pipeline', 'stage', 'execution', 'approverGroups'],
  additionalProperties: false,
  properties: {
    pipeline: Name,
    stage: Name,
    execution: Name,
    approverGroups: { type: 'array', minItems: 1, maxItems: 20, items: Name, description: 'Approver group names from the configuration (`approverGroups`).' },
    channel: { type: 'string', minLength: 1, maxLength: 100, description: 'Post the card here (`#deploys` or `C0123`). Exactly one of channel and webhook.' },
    webhook: { type: 'string', minLength: 1, maxLength: 100, description: 'Post through this configured incoming webhook instead.' },
    project: Name,
    connector: Name,
    summary: { type: 'string', maxLength: 1000 },
    link: { type: 'string', maxLength: 2000, pattern: LINK_PATTERN, description: 'An http(s) URL without `|`, `<`, `>` or spaces (a link cannot carry its own label).' },
    requestedBy: { type: 'string', maxLength: 200, description: 'The executor (Slack user ID or email): may not approve unless allowSelfApproval.' },
    minApprovals: { type: 'integer', minimum: 1, maximum: 50, default: 1 },
    minPerGroup: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } },
    allowSelfApproval: { type: 'boolean', default: false },
    timeout: { type: 'string', maxLength: 20, default: DEFAULT_APPROVAL_TIMEOUT, description: 'A duration like 30m, 2h, 1h30m.' },
    onTimeout: { type: 'string', enum: ['reject', 'approve'], default: 'reject' },
    remindEvery: { type: 'string', maxLength: 20 },
    escalation: {
      type: 'object',
      required: ['after', 'approverGroups'],
      additionalProperties: false,
      properties: { after: { type: 'string', maxLength: 20 }, approverGroups: { type: 'array', minItems: 1, maxItems: 20, items: Name } },
    },
    rejectionNeedsReason: { type: 'boolean', default: false, description: 'Reject opens a modal asking why.' },
    inputs: {
      type: 'array',
      maxItems: 10,
      description: 'Fields an approver fills in (Approve opens a modal); returned in the result\u2019s `inputs`.',
      items: { type: 'object', required: ['name', 'label'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 50 }, label: { type: 'string', minLength: 1, maxLength: 100 }, required: { type: 'boolean' } } },
    },
  },
} as const;

type CreateBody = Omit<ApprovalRequest, 'destination'> & { channel?: string; webhook?: string; project?: string; connector?: string };

function toRequest(body: CreateBody): ApprovalRequest {
  const { channel, webhook, project, connector, ...rest } = body;
  if (Boolean(channel) === Boolean(webhook)) throw unprocessable('Give exactly one of channel and webhook.', channel ? 'webhook' : 'channel');
  if (webhook && connector) throw unprocessable('A webhook card is posted by the webhook’s own app: leave connector out.', 'connector');
  return { ...rest, destination: webhook ? { webhook, project } : { channel: channel!, project, connector } };
}

/**
 * Whom a token decides as: its own Slack user, or — only with
 * `approvals:decide-as-anyone` — the user it names. A token proves its own
 * name and permissions, nothing more (DESIGN rule 8).
 */
function deciderFor(caller: ApiCaller, named: string | undefined): string {
  const mayNameAnyone = hasPermission(caller, 'approvals:decide-as-anyone');
  if (named && named !== caller.slackUser && !mayNameAnyone) {
    throw forbidden(
      caller.slackUser
        ? `The token "${caller.name}" decides as ${caller.slackUser} only; deciding as ${named} needs the permission approvals:decide-as-anyone.`
        : `The token "${caller.name}" is bound to no Slack user (slackUser), so it cannot decide as ${named} without the permission approvals:decide-as-anyone.`,
    );
  }
  const decider = named ?? caller.slackUser;
  if (!decider) throw unprocessable(`Name the deciding user: the token "${caller.name}" is bound to no Slack user (slackUser).`, 'body.user');
  return decider;
}

function mapErrors(err: unknown): never {
  if (err instanceof ApprovalNotFound) throw notFound(err.message);
  if (err instanceof ApprovalConflict) throw new HttpError(409, 'conflict', err.message, { fields: err.fields });
  if (err instanceof ApprovalRefused) throw new HttpError(409, 'refused', err.message);
  if (err instanceof ApprovalInputError) throw unprocessable(err.message, `body.${err.field}`);
  throw err;
}

export function approvalApiRoutes(service: ApprovalService): FastifyPluginAsync {
  return async (api) => {
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
            200: { description: 'Already running: its id', type: 'object', required: ['id', 'created'], properties: { id: { type: 'string' }, created: { type: 'boolean' } } },
            201: { description: 'Started', type: 'object', required: ['id', 'created'], properties: { id: { type: 'string' }, created: { type: 'boolean' } } },
            409: { description: 'An approval with the same pipeline, stage and execution is running with a different request; `fields` names what differs. It was not joined.', $ref: 'ErrorBody#' },
            ...apiErrorResponses(400, 422),
          },
        },
      },
      async (request, reply) => {
        const created = await service.create(toRequest(request.body as CreateBody)).catch(mapErrors);
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
          response: { 200: Approval, ...apiErrorResponses(404) },
        },
      },
      async (request) => service.get((request.params as { id: string }).id).catch(mapErrors),
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
          querystring: { type: 'object', additionalProperties: false, properties: { timeout: { type: 'string', maxLength: 20, default: DEFAULT_WAIT, description: `How long to hold the call, at most ${MAX_WAIT_MS / 1000}s.` } } },
          response: {
            200: { ...Approval, description: 'Final: approved, rejected, expired or cancelled' },
            202: { ...Approval, description: 'Still pending when the timeout passed: call again' },
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request, reply) => {
        const { timeout } = request.query as { timeout: string };
        let ms: number;
        try {
          ms = parseDuration(timeout);
        } catch (err) {
          throw unprocessable(`timeout: ${(err as Error).message}`, 'querystring.timeout');
        }
        if (ms > MAX_WAIT_MS) throw unprocessable(`timeout: at most ${MAX_WAIT_MS / 1000}s per call; call again to wait longer`, 'querystring.timeout');
        const { done, approval } = await service.wait((request.params as { id: string }).id, ms).catch(mapErrors);
        return reply.code(done ? 200 : 202).send(approval);
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
          body: {
            type: 'object',
            required: ['verb'],
            additionalProperties: false,
            properties: {
              verb: { type: 'string', enum: ['approve', 'reject'] },
              user: { ...UserId, description: 'Who decides. Defaults to the token’s own Slack user (`slackUser`); naming anyone else needs `approvals:decide-as-anyone`.' },
              reason: { type: 'string', maxLength: 3000 },
              inputs: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 3000 } },
            },
          },
          response: {
            200: { ...Outcome, description: 'Recorded' },
            409: { description: 'Refused: `message` says why (not an approver, already decided, a reason needed, already final)', $ref: 'ErrorBody#' },
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request) => {
        const { verb, user, reason, inputs } = request.body as { verb: 'approve' | 'reject'; user?: string; reason?: string; inputs?: Record<string, string> };
        const caller = request.apiToken!;
        const decider = deciderFor(caller, user);
        return service.decide((request.params as { id: string }).id, { verb, user: { id: decider }, reason, inputs, by: { token: caller.name } }).catch(mapErrors);
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
          body: { type: 'object', additionalProperties: false, properties: { by: UserId, reason: { type: 'string', maxLength: 1000 } } },
          response: {
            200: { ...Outcome, description: 'Cancelled' },
            409: { description: 'Already final', $ref: 'ErrorBody#' },
            ...apiErrorResponses(400, 404),
          },
        },
      },
      async (request) => {
        const { by, reason } = (request.body ?? {}) as { by?: string; reason?: string };
        const caller = request.apiToken!;
        return service.cancel((request.params as { id: string }).id, by ?? caller.slackUser, reason, { token: caller.name }).catch(mapErrors);
      },
    );
  };
}
