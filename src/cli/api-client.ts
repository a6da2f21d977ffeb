/**
 * The CLI's other way to Signalroom: the HTTP API (`--api URL --token T`, or
 * SIGNALROOM_API_URL / SIGNALROOM_API_TOKEN), for pipelines that may reach the
 * server but not Temporal.
 */
import type { Command } from 'commander';
import type { ApprovalRequest, DecideOutcome } from '../../workflows/approval/types';
import type { ApprovalOutcomeStatus } from '../approvals/outcome';
import type { ActionItem, IncidentState, TaskRequest } from '../../workflows/incident/types';

/** `--api` without a token: bad usage (exit 64) in every command. */
export class ApiUsageError extends Error {}

/** The options of every command that can go through the server instead of Temporal. */
export function withApiOptions(cmd: Command): Command {
  return cmd
    .option('--api <url>', 'go through the Signalroom server at this URL instead of Temporal (env SIGNALROOM_API_URL)')
    .option('--no-api', 'talk to Temporal even when SIGNALROOM_API_URL is set')
    .option('--token <token>', 'API token for --api (env SIGNALROOM_API_TOKEN)');
}

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The approval as the API returns it (GET /approvals/:id). */
export interface ApiApproval {
  id: string;
  /** `failed`: the run failed, was terminated or timed out; `reason` says why. */
  status: ApprovalOutcomeStatus;
  reason?: string;
  approvals: number;
  needed: number;
  expiresAt: string;
  decisions: Array<{ verb: string; user: { id: string; name?: string }; via: string; reason?: string }>;
  refused: Array<{ verb: string; user: { id: string; name?: string }; why: string }>;
  escalated: boolean;
  outcomeNote?: string;
  message?: { channel: string; ts: string; permalink?: string };
}

export class SignalroomApi {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string,
    private readonly doFetch: typeof fetch = fetch,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  /** The API when `--api` (or SIGNALROOM_API_URL) is given, else undefined: talk to Temporal. */
  static fromEnvironment(opts: { api?: string | boolean; token?: string }, env: NodeJS.ProcessEnv = process.env): SignalroomApi | undefined {
    if (opts.api === false) return undefined; // --no-api
    const url = typeof opts.api === 'string' ? opts.api : env.SIGNALROOM_API_URL;
    if (!url) return undefined;
    const token = opts.token ?? env.SIGNALROOM_API_TOKEN;
    if (!token) {
      const why = typeof opts.api === 'string' ? '--api' : 'SIGNALROOM_API_URL is set, so this command goes through the API, and it';
      throw new ApiUsageError(`${why} needs a token: --token T or SIGNALROOM_API_TOKEN (or --no-api to talk to Temporal)`);
    }
    return new SignalroomApi(url, token);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.doFetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text };
    }
    if (!res.ok) {
      const err = parsed as { error?: string; message?: string; field?: string };
      throw new ApiCallError(res.status, err.error ?? `http_${res.status}`, `${err.message ?? `HTTP ${res.status}`}${err.field ? ` (${err.field})` : ''}`);
    }
    return { status: res.status, body: parsed as T };
  }

  async requestApproval(request: ApprovalRequest): Promise<{ id: string; created: boolean }> {
    const { destination, ...rest } = request;
    const body = { ...rest, ...destination };
    const res = await this.call<{ id: string; created?: boolean }>('POST', '/approvals', body);
    return { id: res.body.id, created: res.status === 201 };
  }

  async approval(id: string): Promise<ApiApproval> {
    return (await this.call<ApiApproval>('GET', `/approvals/${encodeURIComponent(id)}`)).body;
  }

  /** Long-polls until the approval is final or the server's bound passes. */
  async waitApproval(id: string, timeout = '30s'): Promise<{ done: boolean; approval: ApiApproval }> {
    const res = await this.call<ApiApproval>('GET', `/approvals/${encodeURIComponent(id)}/wait?timeout=${encodeURIComponent(timeout)}`);
    return { done: res.status === 200, approval: res.body };
  }

  /** `user` defaults, on the server, to the token's own Slack user. */
  async decide(id: string, verb: 'approve' | 'reject', user: string | undefined, reason?: string, inputs?: Record<string, string>): Promise<DecideOutcome> {
    try {
      return (await this.call<DecideOutcome>('POST', `/approvals/${encodeURIComponent(id)}/decisions`, { verb, user, reason, inputs })).body;
    } catch (err) {
      if (err instanceof ApiCallError && err.status === 409) return { accepted: false, message: err.message, status: 'pending' };
      throw err;
    }
  }

  async cancel(id: string, by?: string, reason?: string): Promise<DecideOutcome> {
    return (await this.call<DecideOutcome>('POST', `/approvals/${encodeURIComponent(id)}/cancel`, { by, reason })).body;
  }

  async openIncident(runbook: string, inputs: Record<string, string>, openedBy?: string): Promise<{ workflowId: string; runId?: string }> {
    return (await this.call<{ workflowId: string; runId?: string }>('POST', '/incidents', { runbook, inputs, openedBy })).body;
  }

  async incident(id: string): Promise<IncidentState> {
    return (await this.call<IncidentState>('GET', `/incidents/${encodeURIComponent(id)}`)).body;
  }

  async updateIncident(id: string, text: string, author?: string): Promise<void> {
    await this.call('POST', `/incidents/${encodeURIComponent(id)}/updates`, { text, author });
  }

  async setIncidentSeverity(id: string, severity: string, by?: string): Promise<void> {
    await this.call('POST', `/incidents/${encodeURIComponent(id)}/severity`, { severity, by });
  }

  async resolveIncident(id: string, resolvedBy?: string, summary?: string): Promise<void> {
    await this.call('POST', `/incidents/${encodeURIComponent(id)}/resolve`, { resolvedBy, summary });
  }

  async incidentTasks(id: string): Promise<ActionItem[]> {
    return (await this.call<{ tasks: ActionItem[] }>('GET', `/incidents/${encodeURIComponent(id)}/tasks`)).body.tasks;
  }

  async incidentTask(id: string, request: TaskRequest): Promise<ActionItem> {
    if (request.action === 'add') return (await this.call<ActionItem>('POST', `/incidents/${encodeURIComponent(id)}/tasks`, { text: request.text, owner: request.owner, by: request.by })).body;
    return (await this.call<ActionItem>('POST', `/incidents/${encodeURIComponent(id)}/tasks/${request.item}/done`, { by: request.by })).body;
  }

  async incidentPostmortem(id: string): Promise<string> {
    // The answer is Markdown, not JSON: call() hands a body it cannot parse back as { message }.
    const { body } = await this.call<{ message?: string } | string>('GET', `/incidents/${encodeURIComponent(id)}/postmortem`);
    return typeof body === 'string' ? body : (body.message ?? '');
  }
}
