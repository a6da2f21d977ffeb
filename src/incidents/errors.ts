/**
 * The incident commands' errors and workflow ids, on their own: the CLI's
 * HTTP adapter checks and prints them too, and must not load Temporal's
 * client to do so.
 */
import { NotFoundError, UnprocessableError } from '../errors';

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

/** The incident id belongs to an incident that already ran to its end: a new incident needs a new id. */
export class IncidentClosedError extends IncidentInputError {}

export class IncidentNotFound extends NotFoundError {}
export class RunbookNotFound extends NotFoundError {}

/** The incident refused the action item request (no such item, already done, empty text): the message says which. */
export class TaskRefused extends UnprocessableError {
  constructor(message: string) {
    super(message, 'task');
  }
}
