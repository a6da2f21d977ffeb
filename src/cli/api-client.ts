/**
 * The CLI's other way to Signalroom: the HTTP API (`--api URL --token T`, or
 * SIGNALROOM_API_URL / SIGNALROOM_API_TOKEN), for pipelines that may reach the
 * server but not Temporal.
 */
import type { Command } from 'commander';
import type { DecideOutcome } from '../../core/approval/types';
import { ApprovalInputError } from '../approvals/errors';
import { Unreachable } from '../errors';
import type { ApprovalsPort, ApprovalVerdict, ApprovalView } from '../approvals/port';
import type { ReviewOutcome, ReviewsPort, ReviewView } from '../reviews/port';

/** How long one verdict call is held by the server; a worker that has not answered by then is reported as slow. */
const VERDICT_POLL = '15s';
import { formatDuration } from '../../core/runbook/duration';
import type { ActionItem, IncidentState, TaskRequest } from '../../core/incident/types';
import type { FreezeView } from '../freezes/service';

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
    /** The server's message, without the field it names. */
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`${detail}${field ? ` (${field})` : ''}`);
  }
}

/** Longer than the longest `/wait` the commands ask for (30 s), so a wait ends on the server's answer, never on this timeout. */
const API_CALL_TIMEOUT_MS = 60_000;

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
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(API_CALL_TIMEOUT_MS),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new Unreachable(`no answer from the Signalroom API at ${this.base} within ${API_CALL_TIMEOUT_MS / 1000} s`, err);
      // fetch says only "fetch failed": name the server and the cause (ECONNREFUSED, ENOTFOUND, …).
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Unreachable(`cannot reach the Signalroom API at ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`, err);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { message: text };
    }
    if (!res.ok) {
      const err = parsed as { error?: string; message?: string; field?: string };
      throw new ApiCallError(res.status, err.error ?? `http_${res.status}`, err.message ?? `HTTP ${res.status}`, err.field);
    }
    return { status: res.status, body: parsed as T };
  }

  /** The approvals port through the API: what the approval commands use when given `--api`. */
  readonly approvals: ApprovalsPort = {
    request: async (request) => {
      const { destination, notify, ...rest } = request;
      // The API takes one callback URL (`callback`); other outcome targets are not asked for through it.
      const callback = notify?.find((t) => t.kind === 'callback');
      const res = await this.approvalCall<{ id: string }>('POST', '/approvals', { ...rest, ...destination, ...(callback ? { callback: callback.url } : {}) });
      return { id: res.body.id, created: res.status === 201 };
    },
    // The worker's first verdict, long-polled: so a request the worker refuses or fails is known before the CLI returns, as against Temporal.
    verdict: async (id, onSlow) => {
      for (let calls = 0; ; calls++) {
        const res = await this.approvalCall<ApprovalVerdict | { pending: true }>('GET', `/approvals/${encodeURIComponent(id)}/verdict?timeout=${VERDICT_POLL}`);
        if (res.status === 200) return res.body as ApprovalVerdict;
        if (calls === 0) onSlow?.();
      }
    },
    get: async (id) => (await this.approvalCall<ApprovalView>('GET', `/approvals/${encodeURIComponent(id)}`)).body,
    wait: async (id, ms) => {
      const res = await this.approvalCall<ApprovalView>('GET', `/approvals/${encodeURIComponent(id)}/wait?timeout=${formatDuration(ms)}`);
      return { done: res.status === 200, approval: res.body };
    },
    // `user` defaults, on the server, to the token's own Slack user.
    decide: (id, { verb, user, reason, inputs }) => this.refusable(id, () => this.approvalCall<DecideOutcome>('POST', `/approvals/${encodeURIComponent(id)}/decisions`, { verb, user, reason, inputs })),
    cancel: (id, { by, reason }) => this.refusable(id, () => this.approvalCall<DecideOutcome>('POST', `/approvals/${encodeURIComponent(id)}/cancel`, { by, reason })),
    override: (id, { kind, user, reason }) => this.refusable(id, () => this.approvalCall<DecideOutcome>('POST', `/approvals/${encodeURIComponent(id)}/overrides`, { kind, user, reason })),
  };

  /** The reviews port through the API: what the review commands use when given `--api`. */
  readonly reviews: ReviewsPort = {
    get: async (approvalId) => (await this.call<ReviewView>('GET', `/reviews/${encodeURIComponent(approvalId)}`)).body,
    // `user` defaults, on the server, to the token's own Slack user.
    signOff: async (approvalId, { user, note }) => {
      try {
        return (await this.call<ReviewOutcome>('POST', `/reviews/${encodeURIComponent(approvalId)}/sign-off`, { user, note })).body;
      } catch (err) {
        if (!(err instanceof ApiCallError) || err.status !== 409) throw err;
        const { status } = await this.reviews.get(approvalId);
        return { accepted: false, message: err.message, status };
      }
    },
  };

  /** A call whose refusal (409) is an outcome: the message says why, the approval's status what it is now. */
  private async refusable(id: string, call: () => Promise<{ body: DecideOutcome }>): Promise<DecideOutcome> {
    try {
      return (await call()).body;
    } catch (err) {
      if (!(err instanceof ApiCallError) || err.status !== 409) throw err;
      const { status } = await this.approvals.get(id);
      // A run that ended without a result answers refusals as cancelled, as the approvals service does.
      return { accepted: false, message: err.message, status: status === 'failed' ? 'cancelled' : status === 'held' ? 'pending' : status };
    }
  }

  /** An approvals call: a request the server refuses as malformed (400, 422) is bad usage, as it is straight against Temporal. */
  private async approvalCall<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    try {
      return await this.call<T>(method, path, body);
    } catch (err) {
      if (err instanceof ApiCallError && (err.status === 400 || err.status === 422)) throw new ApprovalInputError(err.field?.replace(/^(body|querystring)\./, '') ?? 'request', err.detail);
      throw err;
    }
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

  async setIncidentCommander(id: string, user: string, by?: string): Promise<void> {
    await this.call('POST', `/incidents/${encodeURIComponent(id)}/roles`, { role: 'commander', user, by });
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

  /** A freeze request as the API takes it (src/freezes/request.ts); made as the token's own Slack user. */
  async createFreeze(request: Record<string, unknown>): Promise<{ created: boolean; freeze: FreezeView }> {
    const res = await this.call<FreezeView>('POST', '/freezes', request);
    return { created: res.status === 201, freeze: res.body };
  }

  async freezes(all = false): Promise<FreezeView[]> {
    return (await this.call<{ freezes: FreezeView[] }>('GET', `/freezes${all ? '?all=true' : ''}`)).body.freezes;
  }

  async endFreeze(name: string, reason?: string): Promise<FreezeView> {
    return (await this.call<FreezeView>('POST', `/freezes/${encodeURIComponent(name)}/end`, reason ? { reason } : {})).body;
  }
}
