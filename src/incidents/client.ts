/**
 * Opening and driving incidents from outside the worker (CLI and API).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Runbook } from '../runbook/types';
import { SA } from '../temporal/search-attributes';
import type { incident } from '../../workflows/incident/workflow';
import { IncidentClosedError, IncidentInputError, incidentWorkflowId } from './errors';

/** `incident.id=42` style values to the workflow's incident record, checked against the runbook's inputs. */
export function incidentValues(runbook: Runbook, values: Record<string, string>): Record<string, string> {
  const incident: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const key = name.replace(/^incident\./, '');
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw new IncidentInputError(`"${name}" is not an input name like incident.id`);
    incident[key] = value;
  }
  if (!incident.id) throw new IncidentInputError('incident.id is required');
  const missing = runbook.inputs.filter((i) => i.startsWith('incident.') && !(i.slice('incident.'.length) in incident));
  const optional = new Set(['incident.title', 'incident.description', 'incident.service', 'incident.severity', 'incident.channel', 'incident.channelId', 'incident.channelLink']);
  const required = missing.filter((m) => !optional.has(m));
  if (required.length) throw new IncidentInputError(`runbook ${runbook.name} needs ${required.join(', ')}`);
  return incident;
}

/**
 * Starts the incident's workflow, or joins it when the incident is already
 * running (a repeated alert or a retried pipeline step): one incident, one
 * channel. An incident that was resolved is not reopened under the same id
 * (IncidentClosedError); one whose workflow failed or was terminated may be.
 */
export async function openIncident(
  client: Client,
  runbook: Runbook,
  values: Record<string, string>,
  taskQueue: string,
  openedBy?: string,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof incident>> {
  const record = incidentValues(runbook, values);
  try {
    return await startIncident(client, runbook, record, taskQueue, openedBy);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new IncidentClosedError(`incident ${record.id} was already resolved (workflow ${incidentWorkflowId(record.id)}): open a new incident with a new incident.id`);
    }
    throw err;
  }
}

function startIncident(client: Client, runbook: Runbook, record: Record<string, string>, taskQueue: string, openedBy?: string) {
  return client.workflow.start<typeof incident>('incident', {
    taskQueue,
    workflowId: incidentWorkflowId(record.id),
    args: [{ runbook, incident: record, openedBy }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    staticSummary: `Incident ${record.id}${record.severity ? ` (${record.severity})` : ''}${record.service ? ` in ${record.service}` : ''}`,
    staticDetails: [record.description ?? record.title ?? '', `Runbook: ${runbook.name}`].filter(Boolean).join('\n'),
    typedSearchAttributes: [
      { key: SA.kind, value: 'incident' },
      { key: SA.status, value: 'open' },
      { key: SA.incidentId, value: record.id },
      ...(record.severity ? [{ key: SA.severity, value: record.severity }] : []),
      ...(record.service ? [{ key: SA.service, value: record.service }] : []),
    ],
  });
}
