/**
 * /api/v1/runbooks and /api/v1/incidents: list and validate runbooks, open
 * incidents with one, and drive them (update, severity, resolve, read).
 */
import type { FastifyPluginAsync } from 'fastify';
import { apiErrorResponses } from './api';
import { HttpError, notFound, unprocessable } from './errors';
import { RunbookValidationThread } from './runbook-validation';
import { IncidentInputError } from '../incidents/client';
import { IncidentNotFound, RunbookNotFound, TaskRefused, type IncidentService } from '../incidents/service';

const Problem = {
  type: 'object',
  required: ['file', 'line', 'column', 'field', 'message'],
  properties: { file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * A runbook file is a few KB; the validate route parses a stranger's YAML on
 * the server's event loop, so its body is bounded (64 KiB, 413 beyond) and so
 * is the list of problems it sends back.
 */
export const VALIDATE_BODY_LIMIT = 64 * 1024;
export const MAX_PROBLEMS_RETURNED = 100;

const IncidentId = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;

function mapErrors(err: unknown): never {
  if (err instanceof IncidentNotFound || err instanceof RunbookNotFound) throw notFound(err.message);
  if (err instanceof IncidentInputError) throw unprocessable(err.message, 'inputs');
  if (err instanceof TaskRefused) throw unprocessable(err.message, 'task');
  throw err;
}

export function incidentApiRoutes(service: IncidentService): FastifyPluginAsync {
  return async (api) => {
    const validations = new RunbookValidationThread(16);
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
            200: {
              type: 'object',
              required: ['runbooks', 'problems'],
              properties: {
                runbooks: { type: 'array', items: { type: 'object', required: ['name', 'inputs'], properties: { name: { type: 'string' }, description: { type: 'string' }, inputs: { type: 'array', items: { type: 'string' } } } } },
                problems: { type: 'array', items: Problem },
              },
            },
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
          body: { type: 'object', required: ['content'], additionalProperties: false, properties: { content: { type: 'string', maxLength: VALIDATE_BODY_LIMIT }, fileName: { type: 'string', maxLength: 200 } } },
          response: {
            200: {
              type: 'object',
              required: ['valid', 'problems'],
              properties: {
                valid: { type: 'boolean' },
                name: { type: 'string' },
                problems: { type: 'array', items: Problem, maxItems: MAX_PROBLEMS_RETURNED, description: `The first ${MAX_PROBLEMS_RETURNED} problems, in file order` },
                problemsOmitted: { type: 'integer', description: 'How many more problems were found and not listed' },
              },
            },
            ...apiErrorResponses(400, 413, 429),
          },
        },
      },
      async (request) => {
        const { content, fileName } = request.body as { content: string; fileName?: string };
        const result = await validations.validate(content, fileName ?? 'runbook.yaml');
        const limit = result.problems.find((p) => p.limit);
        if (limit) throw new HttpError(400, 'invalid_request', `${limit.field}: ${limit.message}`, { field: limit.field });
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
          summary: 'Open an incident with this runbook (idempotent on incident.id: a duplicate joins the running incident)',
          tags: ['runbooks'],
          params: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
          body: {
            type: 'object',
            required: ['inputs'],
            additionalProperties: false,
            properties: { inputs: { type: 'object', additionalProperties: { type: 'string', maxLength: 3000 } }, openedBy: { type: 'string', maxLength: 200 } },
          },
          response: { 201: { type: 'object', required: ['workflowId'], properties: { workflowId: { type: 'string' }, runId: { type: 'string' } } }, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const { name } = request.params as { name: string };
        const { inputs, openedBy } = request.body as { inputs: Record<string, string>; openedBy?: string };
        const opened = await service.open(name, inputs, openedBy).catch(mapErrors);
        return reply.code(201).send(opened);
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
          body: {
            type: 'object',
            required: ['runbook', 'inputs'],
            additionalProperties: false,
            properties: { runbook: { type: 'string' }, inputs: { type: 'object', additionalProperties: { type: 'string', maxLength: 3000 } }, openedBy: { type: 'string', maxLength: 200 } },
          },
          response: { 201: { type: 'object', required: ['workflowId'], properties: { workflowId: { type: 'string' }, runId: { type: 'string' } } }, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const { runbook, inputs, openedBy } = request.body as { runbook: string; inputs: Record<string, string>; openedBy?: string };
        return reply.code(201).send(await service.open(runbook, inputs, openedBy).catch(mapErrors));
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
          response: { 200: { type: 'object', additionalProperties: true }, ...apiErrorResponses(404) },
        },
      },
      async (request) => service.state((request.params as { id: string }).id).catch(mapErrors),
    );

    const accepted = { 202: { type: 'object', required: ['accepted'], properties: { accepted: { type: 'boolean' } } } };

    api.post(
      '/incidents/:id/updates',
      {
        config: { permission: 'incidents:write' },
        schema: {
          operationId: 'postIncidentUpdate',
          summary: "Post a status update into the incident's thread; re-arms the reminder timer",
          tags: ['incidents'],
          params: IncidentId,
          body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1, maxLength: 3000 }, author: { type: 'string', maxLength: 200 } } },
          response: { ...accepted, ...apiErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { text, author } = request.body as { text: string; author?: string };
        await service.update((request.params as { id: string }).id, text, author).catch(mapErrors);
        return reply.code(202).send({ accepted: true });
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
          body: { type: 'object', required: ['severity'], additionalProperties: false, properties: { severity: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,20}$' }, by: { type: 'string', maxLength: 200 } } },
          response: { ...accepted, ...apiErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { severity, by } = request.body as { severity: string; by?: string };
        await service.setSeverity((request.params as { id: string }).id, severity, by).catch(mapErrors);
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
          body: { type: 'object', additionalProperties: false, properties: { resolvedBy: { type: 'string', maxLength: 200 }, summary: { type: 'string', maxLength: 3000 } } },
          response: { ...accepted, ...apiErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { resolvedBy, summary } = (request.body ?? {}) as { resolvedBy?: string; summary?: string };
        await service.resolve((request.params as { id: string }).id, resolvedBy, summary).catch(mapErrors);
        return reply.code(202).send({ accepted: true });
      },
    );

    const ActionItem = {
      type: 'object',
      required: ['id', 'text', 'status', 'addedAt'],
      properties: {
        id: { type: 'integer' },
        text: { type: 'string' },
        owner: { type: 'string', description: 'As given: a Slack user ID, @handle or email.' },
        ownerId: { type: 'string', description: "The owner's Slack user ID (U…) or user-group ID (S…), when Slack knew them." },
        status: { type: 'string', enum: ['open', 'done'] },
        addedBy: { type: 'string' },
        addedAt: { type: 'string' },
        doneBy: { type: 'string' },
        doneAt: { type: 'string' },
        channel: { type: 'string' },
        ts: { type: 'string' },
      },
    } as const;

    api.get(
      '/incidents/:id/tasks',
      {
        config: { permission: 'incidents:read' },
        schema: {
          operationId: 'listIncidentTasks',
          summary: "The incident's action items, open and done (needs a running worker)",
          tags: ['incidents'],
          params: IncidentId,
          response: { 200: { type: 'object', required: ['tasks'], properties: { tasks: { type: 'array', items: ActionItem } } }, ...apiErrorResponses(404) },
        },
      },
      async (request) => ({ tasks: await service.tasks((request.params as { id: string }).id).catch(mapErrors) }),
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
          body: {
            type: 'object',
            required: ['text'],
            additionalProperties: false,
            properties: { text: { type: 'string', minLength: 1, maxLength: 3000 }, owner: { type: 'string', maxLength: 200 }, by: { type: 'string', maxLength: 200 } },
          },
          response: { 201: ActionItem, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request, reply) => {
        const { text, owner, by } = request.body as { text: string; owner?: string; by?: string };
        return reply.code(201).send(await service.task((request.params as { id: string }).id, { action: 'add', text, owner, by }).catch(mapErrors));
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
          params: { type: 'object', required: ['id', 'item'], properties: { id: IncidentId.properties.id, item: { type: 'integer', minimum: 1 } } },
          body: { type: 'object', additionalProperties: false, properties: { by: { type: 'string', maxLength: 200 } } },
          response: { 200: ActionItem, ...apiErrorResponses(400, 404, 422) },
        },
      },
      async (request) => {
        const { id, item } = request.params as { id: string; item: number };
        const { by } = (request.body ?? {}) as { by?: string };
        return service.task(id, { action: 'done', item, by }).catch(mapErrors);
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
          produces: ['text/markdown'],
          response: { 200: { type: 'string' }, ...apiErrorResponses(404) },
        },
      },
      async (request, reply) => {
        const markdown = await service.postmortem((request.params as { id: string }).id).catch(mapErrors);
        return reply.type('text/markdown; charset=utf-8').send(markdown);
      },
    );
  };
}
