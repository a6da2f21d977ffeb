/**
 * The incident commands' errors and workflow ids, on their own: the CLI's
 * HTTP adapter checks and prints them too, and must not load Temporal's
 * client to do so.
 */
import { NotFoundError, SignalroomError, UnprocessableError } from '../errors';
import { JoinConflict } from '../join-conflict';

/** One workflow per incident: a duplicate trigger joins the running one. */
export function incidentWorkflowId(incidentId: string): string {
  return `incident-${incidentId.trim().replace(/[^A-Za-z0-9._-]+/g, '_')}`;
}

/** The incident's inputs cannot be used: the message says which. */
export class IncidentInputError extends UnprocessableError {
  constructor(message: string) {
    super(message, 'inputs');
  }
}

/**
 * Inputs the engine sets itself were given (`incident.channelId`…): a 422
 * with its own code, so the CLI through the API exits 64 as it does locally.
 */
export class ReservedInputError extends SignalroomError {
  constructor(
    readonly inputs: string[],
    message: string,
  ) {
    super(message, { code: 'reserved_input', status: 422, details: { field: 'inputs' } });
  }
}

/** The incident id belongs to an incident that already ran to its end: a new incident needs a new id. */
export class IncidentClosedError extends IncidentInputError {}

/** The incident id is open with another runbook or other inputs: joining it would be squatting (409, `fields` names what differs). */
export class IncidentConflict extends JoinConflict {
  constructor(
    readonly incidentId: string,
    readonly workflowId: string,
    fields: string[],
  ) {
    super(`The incident ${incidentId} is already open with a different request (${fields.join(', ')} differ): it was not joined. Open it with another incident.id, or resolve the open one.`, fields);
  }
}

export class IncidentNotFound extends NotFoundError {}
export class RunbookNotFound extends NotFoundError {}

/** The incident refused the action item request (no such item, already done, empty text): the message says which. */
export class TaskRefused extends UnprocessableError {
  constructor(message: string) {
    super(message, 'task');
  }
}
