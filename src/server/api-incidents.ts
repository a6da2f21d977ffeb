/**
 * /api/v1/runbooks and /api/v1/incidents: list and validate runbooks, open
 * incidents with one, and drive them (update, severity, resolve, read).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { USER_ID } from '../../core/slack/mrkdwn';
import { apiErrorResponses, errorResponse, strictBody, textOrNumber } from './api';
import { invalidRequest, unprocessable } from './errors';
import { RunbookValidationProcess } from './runbook-validation';
import type { IncidentService } from '../incidents/service';
import { actingUser, recordedCaller } from './api-auth';
import type { IncidentState } from '../../core/incident/types';

const Problem = z.object({ file: z.string(), line: z.number().int(), column: z.number().int(), field: z.string(), message: z.string() });

/**
 * A runbook file is a few KB; the validate route parses a stranger's YAML on
 * the server's event loop, so its body is bounded (64 KiB, 413 beyond) and so
 * is the list of problems it sends back.
 */
export const VALIDATE_BODY_LIMIT = 64 * 1024;
export const MAX_PROBLEMS_RETURNED = 100;

const IncidentId = z.object({ id: z.string().min(1).max(200) });
const Inputs = z.record(z.string(), textOrNumber(z.string().max(3000)));
const Opened = z.object({ workflowId: z.string(), runId: z.string().optional() });
/** The workflow's own state, passed through as it is (its shape is the workflow's: core/incident/types.ts). */
const IncidentStateBody = z.custom<IncidentState>((value) => typeof value === 'object' && value !== null).meta({ type: 'object', additionalProperties: true });
const Accepted = { 202: z.object({ accepted: z.boolean() }) };
const OpenConflict = errorResponse('The incident id is open with another runbook or other inputs; `fields` names what differs. It was not joined.');

const ActionItem = z.object({
  id: z.number().int(),
  text: z.string(),
  owner: z.string().optional().describe('As given: a Slack user ID, @handle or email.'),
  ownerId: z.string().optional().describe("The owner's Slack user ID (U…) or user-group ID (S…), when Slack knew them."),
  status: z.enum(['open', 'done']),
  addedBy: z.string().optional(),
  addedAt: z.string(),
  doneBy: z.string().optional(),
  doneAt: z.string().optional(),
  channel: z.string().optional(),
  ts: z.string().optional(),
});

/**
 * Whom an incident write is done as: the token's own Slack user, or the one
 * the body names (`openedBy`, `author`, `by`, `resolvedBy`) only with
 * `incidents:write-as-anyone`; and the token, recorded on the timeline.
 */
function writer(request: FastifyRequest, named: string | undefined) {
  const caller = request.apiToken!;
  return { as: actingUser(caller, named, 'incidents:write-as-anyone', { verb: 'act', acts: 'acts', acting: 'acting' }), caller: recordedCaller(caller) };
}

export function incidentApiRoutes(service: IncidentService): FastifyPluginAsync {
  return async (plain) => {
    const api = plain.withTypeProvider<ZodTypeProvider>();
    const validations = new RunbookValidationProcess({ maxQueued: 16 });
    api.addHook('onClose', () => validations.close());
    api.get(
      '/runbooks',
      {
        config: { permission: 'runbooks:read' },
        schema: {
          operationId: 'listRunbooks',
          summary: 'The valid runbooks the server knows, and the problems of invalid files',
          tags: ['runbooks'],
          response: {
            200: z.object({
              runbooks: z.array(z.object({ name: z.string(), description: z.string().optional(), inputs: z.array(z.string()) })),
              problems: z.array(Problem),
            }),
            ...apiErrorResponses(),
          },
        },
      },
      async () => {
        const catalog = await service.runbooks();
        return { runbooks: [...catalog.runbooks.values()].map((r) => ({ name: r.name, description: r.description, inputs: r.inputs })), problems: catalog.problems };
      },
    );

    api.post(
      '/runbooks/validate',
      {
        config: { permission: 'runbooks:read' },
        bodyLimit: VALIDATE_BODY_LIMIT,
        schema: {
          operationId: 'validateRunbook',
          summary: 'Validate a runbook file; every problem with line, column and field',
          tags: ['runbooks'],
          body: strictBody({ content: z.string().max(VALIDATE_BODY_LIMIT), fileName: z.string().max(200).optional() }),
          response: {
            200: z.object({
              valid: z.boolean(),
              name: z.string().optional(),
              problems: z.array(Problem).max(MAX_PROBLEMS_RETURNED).describe(`The first ${MAX_PROBLEMS_RETURNED} problems, in file order`),
              problemsOmitted: z.number().int().optional().describe('How many more problems were found and not listed'),
            }),
            ...apiErrorResponses(400, 413, 422, 429),
          },
        },
      },
      async (request) => {
        const { content, fileName } = request.body;
        const result = await validations.validate(content, fileName ?? 'runbook.yaml');
        const limit = result.problems.find((p) => p.limit);
        // Nesting past the bound is refused before any parser runs (SECURITY.md): named as the body's content.
        if (limit?.limit === 'nesting') throw unprocessable(`content: ${limit.message}`, 'body.content');
        if (limit) throw invalidRequest(`${limit.field}: ${limit.message}`, limit.field);
        const problems = result.problems.slice(0, MAX_PROBLEMS_RETURNED).map(({ limit: _l, ...p }) => p);
        const omitted = result.problems.length - problems.length;
        return { valid: result.problems.length === 0, name: result.name, problems, ...(omitted > 0 ? { problemsOmitted: omitted } : {}) };
      },
    );

    api.post(
      '/runbooks/:name/runs',
      {
        config: { permission: 'runbooks:run' },
        schema: {
          operationId: 'startRunbook',
          summary: 'Open an incident with this runbook (idempotent on incident.id: the same request joins the running incident, a different one is 409)',
          tags: ['runbooks'],
          params: z.object({ name: z.string() }),
          body: strictBody({ inputs: Inputs, openedBy: z.string().max(200).optional() }),
          response: { 201: Opened, 409: OpenConflict, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const { inputs, openedBy } = request.body;
        // Who opened it is the incident's requester: its runbook's approvals refuse their approval (SECURITY.md).
        const w = writer(request, openedBy);
        return reply.code(201).send(await service.open(request.params.name, inputs, w.as, w.caller));
      },
    );

    api.post(
      '/incidents',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'openIncident',
          summary: 'Open an incident with a runbook (same as POST /runbooks/{name}/runs)',
          tags: ['incidents'],
          body: strictBody({ runbook: z.string(), inputs: Inputs, openedBy: z.string().max(200).optional() }),
          response: { 201: Opened, 409: OpenConflict, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const { runbook, inputs, openedBy } = request.body;
        const w = writer(request, openedBy);
        return reply.code(201).send(await service.open(runbook, inputs, w.as, w.caller));
      },
    );

    api.get(
      '/incidents/:id',
      {
        config: { permission: 'incidents:read' },
        schema: {
          operationId: 'getIncident',
          summary: "An incident's state and timeline (needs a running worker)",
          tags: ['incidents'],
          params: IncidentId,
          response: { 200: IncidentStateBody, ...apiErrorResponses(404) },
        },
      },
      async (request) => service.state(request.params.id),
    );

    api.post(
      '/incidents/:id/updates',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'postIncidentUpdate',
          summary: "Post a status update into the incident's thread; re-arms the reminder timer",
          tags: ['incidents'],
          params: IncidentId,
          body: strictBody({ text: z.string().min(1).max(3000), author: z.string().max(200).optional() }),
          response: { ...Accepted, ...apiErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { text, author } = request.body;
        const w = writer(request, author);
        await service.update(request.params.id, text, w.as, w.caller);
        return reply.code(202).send({ accepted: true });
      },
    );

    api.post(
      '/incidents/:id/roles',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'setIncidentRole',
          summary: 'Set an incident role: the commander, who may grant exceptions to the deploys it holds (announced in the channel)',
          tags: ['incidents'],
          params: IncidentId,
          body: strictBody({
            role: z.enum(['commander']),
            user: z.string().regex(USER_ID).describe('The Slack user id who takes the role.'),
            by: z.string().max(200).optional(),
          }),
          response: { 200: { description: 'Set', content: { 'application/json': { schema: z.object({ role: z.enum(['commander']), user: z.string() }) } } }, ...apiErrorResponses(400, 404) },
        },
      },
      async (request) => {
        const { user, by } = request.body;
        const w = writer(request, by);
        return service.setCommander(request.params.id, user, w.as, w.caller);
      },
    );

    api.post(
      '/incidents/:id/severity',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'setIncidentSeverity',
          summary: 'Change the severity (announced in the channel; the reminder cadence follows it)',
          tags: ['incidents'],
          params: IncidentId,
          body: strictBody({ severity: z.string().regex(/^[A-Za-z0-9_-]{1,20}$/), by: z.string().max(200).optional() }),
          response: { ...Accepted, ...apiErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { severity, by } = request.body;
        const w = writer(request, by);
        await service.setSeverity(request.params.id, severity, w.as, w.caller);
        return reply.code(202).send({ accepted: true });
      },
    );

    api.post(
      '/incidents/:id/resolve',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'resolveIncident',
          summary: "Resolve: runs the runbook's post-incident steps (summary, archive, retrospective)",
          tags: ['incidents'],
          params: IncidentId,
          body: strictBody({ resolvedBy: z.string().max(200).optional(), summary: z.string().max(3000).optional() }).optional(),
          response: { ...Accepted, ...apiErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { resolvedBy, summary } = request.body ?? {};
        const w = writer(request, resolvedBy);
        await service.resolve(request.params.id, w.as, summary, w.caller);
        return reply.code(202).send({ accepted: true });
      },
    );

    api.get(
      '/incidents/:id/tasks',
      {
        config: { permission: 'incidents:read' },
        schema: {
          operationId: 'listIncidentTasks',
          summary: "The incident's action items, open and done (needs a running worker)",
          tags: ['incidents'],
          params: IncidentId,
          response: { 200: z.object({ tasks: z.array(ActionItem) }), ...apiErrorResponses(404) },
        },
      },
      async (request) => ({ tasks: await service.tasks(request.params.id) }),
    );

    api.post(
      '/incidents/:id/tasks',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'addIncidentTask',
          summary: 'Add an action item: posted in the incident channel with a Done button (needs a running worker)',
          tags: ['incidents'],
          params: IncidentId,
          body: strictBody({ text: z.string().min(1).max(3000), owner: z.string().max(200).optional(), by: z.string().max(200).optional() }),
          response: { 201: ActionItem, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const { text, owner, by } = request.body;
        const w = writer(request, by);
        return reply.code(201).send(await service.task(request.params.id, { action: 'add', text, owner, by: w.as, caller: w.caller }));
      },
    );

    api.post(
      '/incidents/:id/tasks/:item/done',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'closeIncidentTask',
          summary: 'Close an action item by its number (its message loses the Done button)',
          tags: ['incidents'],
          params: IncidentId.extend({ item: z.coerce.number().int().min(1) }),
          body: strictBody({ by: z.string().max(200).optional() }).optional(),
          response: { 200: ActionItem, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request) => {
        const { id, item } = request.params;
        const w = writer(request, request.body?.by);
        return service.task(id, { action: 'done', item, by: w.as, caller: w.caller });
      },
    );

    api.get(
      '/incidents/:id/postmortem',
      {
        config: { permission: 'incidents:read' },
        schema: {
          operationId: 'getIncidentPostmortem',
          summary: "The incident's postmortem as Markdown, from its own record: timeline, severity changes, steps, approvals, action items, durations",
          tags: ['incidents'],
          params: IncidentId,
          response: { 200: { description: 'The postmortem', content: { 'text/markdown': { schema: z.string() } } }, ...apiErrorResponses(404) },
        },
      },
      async (request, reply) => {
        const markdown = await service.postmortem(request.params.id);
        return reply.type('text/markdown; charset=utf-8').send(markdown);
      },
    );
  };
}
