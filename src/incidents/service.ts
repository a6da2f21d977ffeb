/**
 * What can be done to incidents from outside the worker — open, update,
 * change severity, resolve, read — shared by the HTTP API and the
 * /signalroom slash command. Signals need no worker: an update sent while
 * the worker is down is applied when it is back.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import path from 'node:path';
import { loadRunbookDir } from '../runbook/load';
import type { Runbook } from '../../core/runbook/types';
import { incidentResolveSignal, incidentRoleUpdate, incidentSeveritySignal, incidentStateQuery, incidentTaskUpdate, incidentUpdateSignal } from '../../workflows/messages';
import type { ActionItem, IncidentCaller, IncidentState, TaskRequest } from '../../core/incident/types';
import { openIncident } from './client';
import { incidentWorkflowId } from './errors';
import { postmortemMarkdown } from '../../core/incident/postmortem';
import { IncidentNotFound, RunbookNotFound, TaskRefused } from './errors';

export interface RunbookCatalog {
  runbooks: Map<string, Runbook>;
  problems: Array<{ file: string; line: number; column: number; field: string; message: string }>;
}

/** Every valid runbook in the configured folders (relative to the working directory). */
export async function loadRunbookCatalog(dirs: string[], cwd = process.cwd()): Promise<RunbookCatalog> {
  const runbooks = new Map<string, Runbook>();
  const problems: RunbookCatalog['problems'] = [];
  for (const dir of dirs) {
    const loaded = await loadRunbookDir(path.resolve(cwd, dir));
    for (const [name, rb] of loaded.runbooks) if (!runbooks.has(name)) runbooks.set(name, rb);
    problems.push(...loaded.problems);
  }
  return { runbooks, problems };
}

export class IncidentService {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly runbookDirs: string[],
  ) {}

  async runbooks(): Promise<RunbookCatalog> {
    return loadRunbookCatalog(this.runbookDirs);
  }

  /**
   * Each write names the person it is done as (`openedBy`, `author`, `by`) and,
   * from the API or the CLI, the token or operator that made it (`caller`),
   * recorded on the timeline entry.
   */
  async open(runbookName: string, values: Record<string, string>, openedBy?: string, caller?: IncidentCaller): Promise<{ workflowId: string; runId?: string }> {
    const { runbooks } = await this.runbooks();
    const runbook = runbooks.get(runbookName);
    if (!runbook) throw new RunbookNotFound(`No valid runbook named "${runbookName}" (known: ${[...runbooks.keys()].join(', ') || 'none'})`);
    const handle = await openIncident(this.temporal, runbook, values, this.taskQueue, openedBy, caller);
    // A duplicate open joins the running incident: its run id is the running one's.
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  /** Accepts an incident id (`INC-42`) or its workflow id (`incident-INC-42`). */
  workflowIdOf(id: string): string {
    return id.startsWith('incident-') ? id : incidentWorkflowId(id);
  }

  private async signal<T>(id: string, fn: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>): Promise<T> {
    const handle = this.temporal.workflow.getHandle(this.workflowIdOf(id));
    try {
      return await fn(handle);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new IncidentNotFound(`No open incident ${id}`);
      throw err;
    }
  }

  update(id: string, text: string, author?: string, caller?: IncidentCaller): Promise<void> {
    return this.signal(id, (h) => h.signal(incidentUpdateSignal, { text, author, ...(caller && { caller }) }));
  }

  setSeverity(id: string, severity: string, by?: string, caller?: IncidentCaller): Promise<void> {
    return this.signal(id, (h) => h.signal(incidentSeveritySignal, { severity, by, ...(caller && { caller }) }));
  }

  /** Sets the incident's commander (who may grant exceptions to the deploys it holds). */
  setCommander(id: string, user: string, by?: string, caller?: IncidentCaller): Promise<{ role: 'commander'; user: string }> {
    return this.signal(id, (h) => h.executeUpdate(incidentRoleUpdate, { args: [{ role: 'commander', user, by, ...(caller && { caller }) }] }));
  }

  resolve(id: string, resolvedBy?: string, summary?: string, caller?: IncidentCaller): Promise<void> {
    return this.signal(id, (h) => h.signal(incidentResolveSignal, { resolvedBy, summary, ...(caller && { caller }) }));
  }

  /** Adds or closes an action item; answers with the item. */
  task(id: string, request: TaskRequest): Promise<ActionItem> {
    return this.signal(id, async (h) => {
      try {
        return await h.executeUpdate(incidentTaskUpdate, { args: [request] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw new TaskRefused((err.cause as Error | undefined)?.message ?? err.message);
        throw err;
      }
    });
  }

  async tasks(id: string): Promise<ActionItem[]> {
    return (await this.state(id)).actionItems ?? [];
  }

  /** The incident's postmortem in Markdown, from its own record. */
  async postmortem(id: string): Promise<string> {
    return postmortemMarkdown(await this.state(id));
  }

  state(id: string): Promise<IncidentState> {
    return this.signal(id, (h) => h.query(incidentStateQuery));
  }
}
