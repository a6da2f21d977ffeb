/**
 * Opening and driving incidents from outside the worker (CLI and API).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { CHANNEL_OUTPUTS, type Runbook } from '../../core/runbook/types';
import { incidentStateQuery } from '../../workflows/messages';
import { differingFields } from '../join-conflict';
import { SA } from '../../workflows/search-attributes';
import type { incident } from '../../workflows/incident/workflow';
import type { IncidentCaller } from '../../core/incident/types';
import { IncidentClosedError, IncidentConflict, IncidentInputError, ReservedInputError, incidentWorkflowId } from './errors';
import { reservedInputsIn, reservedInputsProblem } from '../../core/runbook/reserved-inputs';

/** `incident.id=42` style values to the workflow's incident record, checked against the runbook's inputs. */
export function incidentValues(runbook: Runbook, values: Record<string, string>): Record<string, string> {
  const incident: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    const key = name.replace(/^incident\./, '');
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw new IncidentInputError(`"${name}" is not an input name like incident.id`);
    incident[key] = value;
  }
  const reserved = reservedInputsIn(runbook, Object.keys(incident));
  if (reserved.length) throw new ReservedInputError(reserved, reservedInputsProblem(reserved));
  if (!incident.id) throw new IncidentInputError('incident.id is required');
  const missing = runbook.inputs.filter((i) => i.startsWith('incident.') && !(i.slice('incident.'.length) in incident));
  const optional = new Set(['incident.title', 'incident.description', 'incident.service', 'incident.severity', 'incident.channel', 'incident.channelId', 'incident.channelLink']);
  const required = missing.filter((m) => !optional.has(m));
  if (required.length) throw new IncidentInputError(`runbook ${runbook.name} needs ${required.join(', ')}`);
  return incident;
}

/**
 * Starts the incident's workflow, or joins it when the incident is already
 * running with the same request (a repeated alert or a retried pipeline
 * step): one incident, one channel. The same id with another runbook or
 * other inputs is refused (IncidentConflict, 409): whoever opened the id
 * first must not decide what the real alert gets. An incident that was
 * resolved is not reopened under the same id (IncidentClosedError); one
 * whose workflow failed or was terminated may be.
 */
export async function openIncident(
  client: Client,
  runbook: Runbook,
  values: Record<string, string>,
  taskQueue: string,
  openedBy?: string,
  caller?: IncidentCaller,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof incident>> {
  const record = incidentValues(runbook, values);
  try {
    return await startIncident(client, runbook, record, taskQueue, openedBy, caller);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const workflowId = incidentWorkflowId(record.id);
    const handle = client.workflow.getHandle<typeof incident>(workflowId);
    const described = await handle.describe();
    if (described.status.name !== 'RUNNING') {
      throw new IncidentClosedError(`incident ${record.id} was already resolved (workflow ${workflowId}): open a new incident with a new incident.id`);
    }
    const fields = differingFields(asked(runbook, record), await openedWith(handle, described.memo));
    if (fields.length) throw new IncidentConflict(record.id, workflowId, fields);
    // Joined: the running incident's run.
    return Object.assign(handle, { firstExecutionRunId: described.runId });
  }
}

/** What a request asks for, field by field as the caller names them: `runbook`, `incident.severity`… */
function asked(runbook: Runbook | string, record: Record<string, string>): Record<string, unknown> {
  return { runbook: typeof runbook === 'string' ? runbook : runbook.name, ...Object.fromEntries(Object.entries(record).map(([k, v]) => [`incident.${k}`, v])) };
}

/**
 * What the running incident was opened with: its memo (written at start,
 * readable without a worker); for incidents opened before the memo existed,
 * its state, less what the run itself set (the channel) and with its first
 * severity.
 */
async function openedWith(handle: WorkflowHandle<typeof incident>, memo: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  const opened = memo?.opened as { runbook: string; incident: Record<string, string> } | undefined;
  if (opened) return asked(opened.runbook, opened.incident);
  const state = await handle.query(incidentStateQuery);
  const record: Record<string, string> = { ...state.incident };
  for (const name of CHANNEL_OUTPUTS) delete record[name.slice('incident.'.length)];
  const first = state.severityChanges[0]?.from;
  if (first !== undefined) {
    if (first === 'unset') delete record.severity;
    else record.severity = first;
  }
  return asked(state.runbook, record);
}

function startIncident(client: Client, runbook: Runbook, record: Record<string, string>, taskQueue: string, openedBy?: string, caller?: IncidentCaller) {
  return client.workflow.start<typeof incident>('incident', {
    taskQueue,
    workflowId: incidentWorkflowId(record.id),
    args: [{ runbook, incident: record, openedBy, ...(caller && { caller }) }],
    // A running incident with this id is compared before it is joined (openIncident).
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    // What was asked, readable without a worker: a second open of the same id is compared with it.
    memo: { opened: { runbook: runbook.name, incident: record } },
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
