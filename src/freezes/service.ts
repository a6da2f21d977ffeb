/**
 * What can be done to freezes from outside the worker — create, list, read,
 * end — shared by the HTTP API, the slash command and the CLI straight
 * against Temporal. A freeze is the workflow `freeze:<name>`
 * (workflows/freeze/workflow.ts); what it was created with is its memo, so
 * `list` reads every freeze without a worker and computes its windows now.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import type { freeze } from '../../workflows/freeze/workflow';
import { freezeEndUpdate, freezeStateQuery } from '../../workflows/messages';
import { SA } from '../../workflows/search-attributes';
import {
  FREEZE_LIMITS,
  FREEZE_NAME_PATTERN,
  describeSchedule,
  freezeWorkflowId,
  plannedState,
  windowsFrom,
  type FreezeEndRequest,
  type FreezeEnding,
  type FreezeInput,
  type FreezeState,
  type FreezeWindow,
} from '../../core/holds/freeze';
import { differingFields } from '../join-conflict';
import { freezeRequestFields } from './request';
import { FreezeConflict, FreezeNotFound } from './errors';

/** A freeze as the API, the CLI and the slash command show it: its state, and its next windows from now. */
export interface FreezeView extends FreezeState {
  /** The windows after the current one, from now (at most UPCOMING), computed in its zone. */
  upcoming: FreezeWindow[];
}

export const UPCOMING = 5;
/** `list --all` shows at most this many freezes, the newest first. */
export const MAX_LISTED = 500;

const OPEN_QUERY = `${SA.kind.name} = 'freeze' AND ExecutionStatus = 'Running'`;
const ALL_QUERY = `${SA.kind.name} = 'freeze'`;

export class FreezeService {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts the freeze. The same request again (a retried step) joins the
   * running freeze (`created: false`); another request for a name that is on
   * is a 409 naming the fields that differ. At most FREEZE_LIMITS.open
   * freezes are on at once.
   */
  async create(input: FreezeInput): Promise<{ created: boolean; freeze: FreezeView }> {
    const workflowId = freezeWorkflowId(input.name);
    const joined = await this.joinRunning(input);
    if (joined) return { created: false, freeze: joined };
    const { count } = await this.temporal.workflow.count(OPEN_QUERY);
    if (count >= FREEZE_LIMITS.open) throw new FreezeConflict(`${count} freezes are on, the most Signalroom keeps: end one first (signalroom freeze list).`);
    const planned = plannedState(input, this.now());
    try {
      await this.temporal.workflow.start<typeof freeze>('freeze', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        // A freeze that ended frees its name.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        memo: { freeze: input },
        staticSummary: `Freeze ${input.name}: ${input.stages.join(', ')} › ${input.services.join(', ')}`,
        staticDetails: [input.reason, `Schedule: ${describeSchedule(input)}`, `Created by ${input.createdBy}`].join('\n\n'),
        typedSearchAttributes: [
          { key: SA.kind, value: 'freeze' },
          { key: SA.status, value: planned.status === 'ended' ? 'scheduled' : planned.status },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Started between the look and the start: the same rule.
      const raced = await this.joinRunning(input);
      if (raced) return { created: false, freeze: raced };
      throw err;
    }
    return { created: true, freeze: this.view(planned) };
  }

  /** The running freeze of this name, when the request is the one it was created with; a 409 when it is another. */
  private async joinRunning(input: FreezeInput): Promise<FreezeView | undefined> {
    const described = await this.describe(input.name);
    if (!described || described.status.name !== 'RUNNING') return undefined;
    const running = (described.memo as { freeze?: FreezeInput } | undefined)?.freeze;
    const fields = running ? differingFields(freezeRequestFields(input), freezeRequestFields(running)) : ['request'];
    if (fields.length) {
      throw new FreezeConflict(`A freeze named ${input.name} is already on with a different request (${fields.join(', ')} differ): end it first (signalroom freeze end ${input.name}), or choose another name.`, fields);
    }
    return this.view(plannedState(running!, this.now()));
  }

  /** Freezes on now (with `all`, ended ones too, while Temporal keeps them), computed from what they were created with. */
  async list(options: { all?: boolean } = {}): Promise<FreezeView[]> {
    const views: FreezeView[] = [];
    for await (const execution of this.temporal.workflow.list({ query: options.all ? ALL_QUERY : OPEN_QUERY, pageSize: 100 })) {
      const view = this.fromMemo(execution);
      if (view) views.push(view);
      if (views.length >= MAX_LISTED) break;
    }
    const rank = { active: 0, scheduled: 1, ended: 2 } as const;
    const nextStart = (v: FreezeView) => v.current?.start ?? v.next?.start ?? '';
    return views.sort((a, b) => rank[a.status] - rank[b.status] || nextStart(a).localeCompare(nextStart(b)) || a.name.localeCompare(b.name));
  }

  /** The freeze's own state (asked of its workflow); one whose run stopped (failed, terminated) is told from its memo. */
  async get(name: string): Promise<FreezeView> {
    const described = await this.describe(name);
    if (!described) throw new FreezeNotFound(`No freeze named ${name}`);
    if (described.status.name === 'RUNNING' || described.status.name === 'COMPLETED' || described.status.name === 'CONTINUED_AS_NEW') {
      return this.view(await this.temporal.workflow.getHandle(freezeWorkflowId(name)).query(freezeStateQuery));
    }
    const view = this.fromMemo(described);
    if (!view) throw new FreezeNotFound(`No freeze named ${name}`);
    return view;
  }

  /** Ends the freeze: answers once its hold is lifted. A freeze that already ended is a 409. */
  async end(name: string, request: FreezeEndRequest): Promise<FreezeView> {
    const described = await this.describe(name);
    if (!described) throw new FreezeNotFound(`No freeze named ${name}`);
    if (described.status.name !== 'RUNNING') throw new FreezeConflict(`The freeze ${name} has already ended.`);
    try {
      return this.view(await this.temporal.workflow.getHandle(freezeWorkflowId(name)).executeUpdate(freezeEndUpdate, { args: [request] }));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new FreezeConflict((err.cause as Error | undefined)?.message ?? err.message);
      // It ended (its last window passed) between the look and the update.
      if (err instanceof WorkflowNotFoundError) throw new FreezeConflict(`The freeze ${name} has already ended.`);
      throw err;
    }
  }

  private async describe(name: string): Promise<WorkflowExecutionDescription | undefined> {
    if (!FREEZE_NAME_PATTERN.test(name)) return undefined;
    try {
      return await this.temporal.workflow.getHandle(freezeWorkflowId(name)).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** A freeze from its listing: what it was created with (memo), how it ended, and its windows from now. */
  private fromMemo(execution: Pick<WorkflowExecutionInfo, 'memo' | 'closeTime' | 'status'>): FreezeView | undefined {
    const memo = execution.memo as { freeze?: FreezeInput; ended?: FreezeEnding } | undefined;
    if (!memo?.freeze) return undefined;
    const closedAt = execution.closeTime?.toISOString();
    const status = execution.status.name;
    const ended: FreezeEnding | undefined =
      memo.ended ?? (status === 'RUNNING' || status === 'CONTINUED_AS_NEW' ? undefined : { at: closedAt ?? new Date(this.now()).toISOString(), how: status === 'COMPLETED' ? 'over' : 'stopped' });
    return this.view(plannedState(memo.freeze, this.now(), ended));
  }

  private view(state: FreezeState): FreezeView {
    if (state.status === 'ended') return { ...state, upcoming: [] };
    const windows = windowsFrom(state, this.now(), UPCOMING + 1);
    const holding = windows[0] && Date.parse(windows[0].start) <= this.now();
    return { ...state, upcoming: holding ? windows.slice(1) : windows.slice(0, UPCOMING) };
  }
}
