/**
 * /api/v1/freezes: create, list, read and end freeze windows (README,
 * "Freeze windows"). Writes are made as the token's own Slack user
 * (`slackUser`) and record the token. A body of the wrong shape is a 400; a
 * value that cannot be used — too long, too many, a bad name, zone, cron or
 * time, a window too long or too frequent — is a 422 naming the field.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiErrorResponses, errorResponse, strictBody } from './api';
import { recordedCaller } from './api-auth';
import { unprocessable } from './errors';
import { FREEZE_LIMITS } from '../../core/holds/freeze';
import { FREEZE_REQUEST_SHAPE, freezeInputOf } from '../freezes/request';
import type { FreezeService } from '../freezes/service';

const Window = z.object({ start: z.string().describe('ISO instant.'), end: z.string().describe('ISO instant.') });
const Caller = z.union([z.object({ token: z.string() }), z.object({ operator: z.string() })]);

export const FreezeViewSchema = z
  .object({
    name: z.string(),
    workflowId: z.string().describe('`freeze:<name>`.'),
    status: z.enum(['scheduled', 'active', 'ended']),
    stages: z.array(z.string()),
    services: z.array(z.string()),
    reason: z.string(),
    timeZone: z.string(),
    window: z.union([
      z.object({ kind: z.literal('once'), from: z.string(), until: z.string() }),
      z.object({ kind: z.literal('recurring'), cron: z.string(), durationMs: z.number(), from: z.string().optional(), until: z.string().optional() }),
    ]),
    createdBy: z.string().describe('The Slack user who created it.'),
    createdAt: z.string(),
    caller: Caller.optional().describe('The token (or the CLI\'s operator) it was created through.'),
    current: Window.optional().describe('The window holding now.'),
    next: Window.optional().describe('The next window to hold.'),
    upcoming: z.array(Window).describe('The windows to come from now, after the current one (at most 5), in its zone.'),
    past: z.array(Window.extend({ liftedAt: z.string().optional() })).describe('The last windows that held (at most 20).'),
    windowsHeld: z.number().int(),
    ended: z
      .object({
        at: z.string(),
        how: z.enum(['ended', 'over', 'stopped']).describe('`ended` by someone, `over` when no window was left, `stopped` when its run failed or was terminated.'),
        by: z.string().optional(),
        reason: z.string().optional(),
        caller: Caller.optional(),
      })
      .optional(),
  })
  .meta({ id: 'Freeze' });

const NameParams = z.object({ name: z.string().min(1).max(200) });
const CreateBody = strictBody(FREEZE_REQUEST_SHAPE);
const EndBody = strictBody({ reason: z.string().max(FREEZE_LIMITS.reason).optional().describe('Why it ends early.') }).optional();

/** zod's codes for a body of the wrong shape (400); any other problem is a value out of its bounds (422). */
const SHAPE_PROBLEMS = new Set(['invalid_type', 'unrecognized_keys', 'invalid_union', 'invalid_key', 'invalid_element']);

/** A value out of its bounds is a 422 naming the field; a body of the wrong shape stays the central handler's 400. */
function refuseInvalid(request: FastifyRequest): void {
  const error = request.validationError as (Error & { validation?: Array<{ keyword: string; instancePath: string; message?: string }>; validationContext?: string }) | undefined;
  if (!error) return;
  const first = error.validation?.[0];
  if (!first || SHAPE_PROBLEMS.has(first.keyword) || error.validationContext !== 'body') throw error;
  const field = [error.validationContext, ...first.instancePath.split('/').filter(Boolean)].join('.');
  throw unprocessable(`${field.replace(/^body\./, '')}: ${first.message ?? 'out of bounds'}`, field);
}

/** The Slack user a freeze is written as: the token's own. */
function author(request: FastifyRequest): string {
  const caller = request.apiToken!;
  if (!caller.slackUser) throw unprocessable(`The token "${caller.name}" is bound to no Slack user (slackUser): a freeze is created and ended as a person, on the record.`);
  return caller.slackUser;
}

export function freezeApiRoutes(service: FreezeService): FastifyPluginAsync {
  return async (plain) => {
    const api = plain.withTypeProvider<ZodTypeProvider>();

    api.post(
      '/freezes',
      {
        config: { permission: 'freezes:write' },
        attachValidation: true,
        schema: {
          operationId: 'createFreeze',
          summary: 'Create a freeze: a one-off window (`from`, `until`) or a recurring one (`cron`, `duration`), in `timeZone` (the same request again joins it)',
          tags: ['freezes'],
          body: CreateBody,
          response: {
            201: FreezeViewSchema,
            200: FreezeViewSchema.describe('The same request again: the freeze it created.'),
            409: errorResponse('A freeze of that name is on with another request (`fields` names what differs), or 200 freezes are on.'),
            ...apiErrorResponses(400, 422),
          },
        },
      },
      async (request, reply) => {
        refuseInvalid(request);
        const input = freezeInputOf(request.body, { createdBy: author(request), caller: recordedCaller(request.apiToken!) }, Date.now());
        const { created, freeze } = await service.create(input);
        return reply.code(created ? 201 : 200).send(freeze);
      },
    );

    api.get(
      '/freezes',
      {
        config: { permission: 'freezes:read' },
        schema: {
          operationId: 'listFreezes',
          summary: 'Freezes on now (scheduled or active), with their current and next windows; `all=true` adds ended ones',
          tags: ['freezes'],
          querystring: z.object({ all: z.enum(['true', 'false']).optional() }),
          response: { 200: z.object({ freezes: z.array(FreezeViewSchema) }), ...apiErrorResponses(400) },
        },
      },
      async (request) => ({ freezes: await service.list({ all: request.query.all === 'true' }) }),
    );

    api.get(
      '/freezes/:name',
      {
        config: { permission: 'freezes:read' },
        schema: {
          operationId: 'getFreeze',
          summary: "A freeze's state: its windows in UTC (the zone's are `timeZone`), who created and ended it (needs a running worker)",
          tags: ['freezes'],
          params: NameParams,
          response: { 200: FreezeViewSchema, ...apiErrorResponses(404) },
        },
      },
      async (request) => service.get(request.params.name),
    );

    api.post(
      '/freezes/:name/end',
      {
        config: { permission: 'freezes:write' },
        attachValidation: true,
        schema: {
          operationId: 'endFreeze',
          summary: 'End a freeze now: its hold is lifted before this answers',
          tags: ['freezes'],
          params: NameParams,
          body: EndBody,
          response: { 200: FreezeViewSchema, 409: errorResponse('The freeze has already ended.'), ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request) => {
        refuseInvalid(request);
        const by = author(request);
        return service.end(request.params.name, { by, ...(request.body?.reason ? { reason: request.body.reason } : {}), caller: recordedCaller(request.apiToken!) });
      },
    );
  };
}
