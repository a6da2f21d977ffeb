/**
 * Starting and following approvals from outside the worker: the CLI and the
 * HTTP API both use these, so a pipeline gets the same behaviour either way.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import { SA } from '../../workflows/search-attributes';
import { approvalRequestDetails } from '../../core/details';
import { parseDuration } from '../../core/runbook/duration';
import type { approval } from '../../workflows/approval/workflow';
import type { ApprovalInput, ApprovalRequest, RecordedApprovalInput } from '../../core/approval/types';
import { DEFAULT_APPROVAL_TIMEOUT, isApprovalInput } from '../../core/approval/durations';
import { carrierViolation, MAX_APPROVALS, policyOfGroups, policyViolations, SERVICE_NAME, type GroupPolicyConfig } from '../../core/approval/policy';
import { callbackUrlProblem, callbackUrlsOf } from '../../core/approval/callback';
import { IntegrationError, integrationFor, ORGANIZATION } from '../slack/integrations';
import { approvalStateQuery } from '../../workflows/messages';
import type { SignalroomConfig } from '../config/schema';
import { ownEntry } from '../config/own';
import { JoinConflict, differingFields } from '../join-conflict';
import { ApprovalInputError } from './errors';

/**
 * Readable, the same for a retried pipeline step, and unambiguous: each part
 * is percent-encoded where it could be mistaken for the separator, so
 * (`deploy`, `prod-eu`, `7`) and (`deploy-prod`, `eu`, `7`) are different
 * approvals: `approval:deploy:prod-eu:7` and `approval:deploy-prod:eu:7`.
 */
export function approvalWorkflowId(r: Pick<ApprovalRequest, 'pipeline' | 'stage' | 'execution'>): string {
  const part = (s: string) => s.trim().replace(/[%:]|[^\x21-\x7e]/gu, (c) => encodeURIComponent(c).replace(/:/g, '%3A'));
  return `approval:${part(r.pipeline)}:${part(r.stage)}:${part(r.execution)}`;
}

/**
 * The longest approval id: three parts of up to 200 characters and the
 * separators, with room for some percent-encoding. Creation refuses a longer
 * one, the API's id parameter takes exactly this much, and the server's
 * path parameters room for it percent-encoded once more in a URL, so an
 * approval that could be created can always be named.
 */
export const MAX_APPROVAL_ID_LENGTH = 640;

/** A running approval with the same pipeline, stage and execution asks for something else: joining it would be squatting. */
export class ApprovalConflict extends JoinConflict {
  constructor(
    readonly workflowId: string,
    fields: string[],
  ) {
    super(`An approval ${workflowId} is already running with a different request (${fields.join(', ')} ${fields.length === 1 ? 'differs' : 'differ'}): it was not joined. Use another execution id, or cancel the running one.`, fields);
  }
}

/** The request fields two requests for the same approval disagree on (after normalization), named as a request names them (`timeout`, not `timeoutMs`). */
export function requestDifferences(a: ApprovalInput, b: ApprovalInput): string[] {
  return differingFields({ ...a }, { ...b }).map((k) => k.replace(/Ms$/, '')).sort();
}

/**
 * Starts the approval, or joins the running one with the same pipeline,
 * stage and execution, so a retried step never posts a second card. A
 * request's durations are parsed here, before the workflow sees them.
 */
export async function requestApproval(
  client: Client,
  asked: ApprovalRequest | ApprovalInput,
  taskQueue: string,
  conflictPolicy: WorkflowIdConflictPolicy = WorkflowIdConflictPolicy.USE_EXISTING,
): Promise<WorkflowHandle<typeof approval>> {
  const request = asInput(asked);
  const workflowId = approvalWorkflowId(request);
  return client.workflow.start<typeof approval>('approval', {
    taskQueue,
    workflowId,
    args: [request],
    workflowIdConflictPolicy: conflictPolicy,
    // What was asked, readable without a worker: a second request for the same id is compared with it.
    memo: { request },
    staticSummary: `Approval: ${request.pipeline} › ${request.stage} (${request.execution})`,
    staticDetails: approvalRequestDetails(request),
    typedSearchAttributes: [
      { key: SA.kind, value: 'approval' },
      { key: SA.status, value: 'pending' },
      { key: SA.pipeline, value: request.pipeline },
      { key: SA.stage, value: request.stage },
    ],
  });
}

/** What a request may name: the configured approver groups and incoming webhooks, and what they permit. Unchecked when absent. */
export interface ApprovalNames {
  approverGroups?: readonly string[];
  webhooks?: readonly string[];
  /** The configured approver groups' policy (self-approval, approval on timeout). */
  policies?: Record<string, GroupPolicyConfig>;
  /**
   * The most people each group can supply, where configuration lists them
   * (`users` and `emails`); absent for a group with Slack user groups, whose
   * members only the worker learns (it checks again when it resolves them).
   */
  capacity?: ReadonlyMap<string, number>;
  /** The integration that would carry a request's card; undefined when it cannot be told (the worker then reports it). */
  carrierOf?: (destination: ApprovalRequest['destination']) => string | undefined;
}

/**
 * What a configuration lets approval requests name and do. A configuration
 * without approver groups says nothing about them (the CLI with no file
 * beside a `signalroom dev` stack that brings its own): names are then left
 * to the worker, which refuses any group it does not know.
 */
export function approvalNamesOf(config: Pick<SignalroomConfig, 'approverGroups' | 'slack' | 'projects'>, connectorNames = Object.keys(config.slack.connectors)): ApprovalNames {
  const groups = Object.keys(config.approverGroups);
  if (!groups.length) return {};
  const capacity = new Map<string, number>();
  for (const [name, group] of Object.entries(config.approverGroups)) {
    if (!group.userGroups.length) capacity.set(name, new Set(group.users).size + new Set(group.emails).size);
  }
  const webhookOwner = (name: string) => {
    const entry = ownEntry(config.slack.webhooks, name);
    return entry === undefined ? undefined : typeof entry === 'string' ? ORGANIZATION : entry.integration;
  };
  const carrierOf = (dest: ApprovalRequest['destination']): string | undefined => {
    try {
      return 'webhook' in dest ? webhookOwner(dest.webhook) : (dest.integration ?? integrationFor({ projects: config.projects, connectors: connectorNames }, dest.project, dest.connector));
    } catch (err) {
      // An unknown project, connector or webhook is refused by its own check (or the worker's).
      if (err instanceof IntegrationError) return undefined;
      throw err;
    }
  };
  return { approverGroups: groups, webhooks: Object.keys(config.slack.webhooks), policies: config.approverGroups, capacity, carrierOf };
}

const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;

/**
 * Minimums past MAX_APPROVALS, or above the people configuration lists for
 * the groups asked: refused where the request enters (422, exit 64), before
 * a workflow starts. The workflow checks again against the people it
 * resolves (approvalShortfall).
 */
function checkMinimums(input: ApprovalInput, names: ApprovalNames): void {
  const perGroup = Object.entries(input.minPerGroup ?? {});
  const min = input.minApprovals ?? 1;
  if (min > MAX_APPROVALS) throw new ApprovalInputError('minApprovals', `minApprovals asks for ${min} approvals; a request may ask for at most ${MAX_APPROVALS}`);
  for (const [group, n] of perGroup) {
    if (n > MAX_APPROVALS) throw new ApprovalInputError(`minPerGroup.${group}`, `minPerGroup.${group} asks for ${n} approvals; a request may ask for at most ${MAX_APPROVALS}`);
  }
  const seats = perGroup.reduce((sum, [, n]) => sum + n, 0);
  if (seats > MAX_APPROVALS) throw new ApprovalInputError('minPerGroup', `minPerGroup asks for ${seats} approvals in all; a request may ask for at most ${MAX_APPROVALS}`);
  const capacity = names.capacity;
  if (!capacity) return;
  for (const [group, n] of perGroup) {
    const most = capacity.get(group);
    if (most !== undefined && n > most) throw new ApprovalInputError(`minPerGroup.${group}`, `minPerGroup.${group} asks for ${n} approvals, and configuration lists at most ${people(most)} in ${group}`);
  }
  const asked = [...new Set([...input.approverGroups, ...(input.escalation?.approverGroups ?? [])])];
  const listed = asked.map((g) => capacity.get(g));
  if (listed.every((n): n is number => n !== undefined)) {
    const most = listed.reduce((sum, n) => sum + n, 0);
    if (min > most) throw new ApprovalInputError('minApprovals', `minApprovals asks for ${min} approvals, and configuration lists at most ${people(most)} in ${asked.join(', ')}`);
  }
}

function durationMs(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    const ms = parseDuration(value);
    if (ms < 1000) throw new RangeError(`"${value}" is shorter than a second`);
    return ms;
  } catch (err) {
    throw new ApprovalInputError(field, `${field}: ${(err as Error).message}`);
  }
}

/** The workflow's input for a request: its durations parsed, in milliseconds (`1h30m` → 5400000). */
export function approvalInput(request: ApprovalRequest): ApprovalInput {
  const { timeout, remindEvery, escalation, ...rest } = request;
  const input: ApprovalInput = { ...rest, timeoutMs: durationMs(timeout ?? DEFAULT_APPROVAL_TIMEOUT, 'timeout')! };
  if (remindEvery !== undefined) input.remindEveryMs = durationMs(remindEvery, 'remindEvery');
  if (escalation) input.escalation = { afterMs: durationMs(escalation.after, 'escalation.after')!, approverGroups: escalation.approverGroups };
  return input;
}

/** A request as the workflow takes it: already an input, or parsed into one. */
const asInput = (request: ApprovalRequest | ApprovalInput): ApprovalInput => (isApprovalInput(request) ? request : approvalInput(request));

/** Checks a request before it starts a workflow, and gives the workflow's input (durations in milliseconds). */
export function normalizeApprovalRequest(request: ApprovalRequest, names: ApprovalNames = {}): ApprovalInput {
  const out: ApprovalRequest = { ...request };
  for (const key of ['pipeline', 'stage', 'execution'] as const) {
    if (!String(out[key] ?? '').trim()) throw new ApprovalInputError(key, `${key} must not be empty`);
  }
  if (out.service !== undefined && !SERVICE_NAME.test(out.service)) throw new ApprovalInputError('service', `service must be 1 to 100 letters, digits, . _ : / - (starting with a letter or digit), got "${String(out.service).slice(0, 120)}"`);
  const groups = (out.approverGroups ?? []).map((g) => g.trim()).filter(Boolean);
  if (!groups.length) throw new ApprovalInputError('approverGroups', 'approverGroups needs at least one approver group');
  const known = names.approverGroups;
  const checkGroups = (list: string[], field: string) => {
    const unknown = known ? list.filter((g) => !known.includes(g)) : [];
    if (unknown.length) throw new ApprovalInputError(field, `${field}: unknown approver group ${unknown.map((g) => `"${g}"`).join(', ')} (configured: ${known!.join(', ') || 'none'})`);
  };
  checkGroups(groups, 'approverGroups');
  out.approverGroups = groups;
  const min = out.minApprovals ?? 1;
  if (!Number.isInteger(min) || min < 1) throw new ApprovalInputError('minApprovals', `minApprovals must be a positive whole number, got ${out.minApprovals}`);
  for (const [group, n] of Object.entries(out.minPerGroup ?? {})) {
    if (!groups.includes(group) && !out.escalation?.approverGroups.includes(group)) throw new ApprovalInputError(`minPerGroup.${group}`, `minPerGroup names "${group}", which is not one of the approver groups`);
    if (!Number.isInteger(n) || n < 1) throw new ApprovalInputError(`minPerGroup.${group}`, `minPerGroup.${group} must be a positive whole number`);
  }
  // Durations are parsed here, once: the workflow gets milliseconds.
  const input = approvalInput(out);
  if (input.escalation) {
    const more = (input.escalation.approverGroups ?? []).map((g) => g.trim()).filter(Boolean);
    if (!more.length) throw new ApprovalInputError('escalation.approverGroups', 'escalation.approverGroups needs at least one approver group');
    checkGroups(more, 'escalation.approverGroups');
    input.escalation.approverGroups = more;
  }
  const names_ = new Set<string>();
  for (const [i, f] of (out.inputs ?? []).entries()) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,49}$/.test(f.name ?? '') || f.name === 'reason') {
      throw new ApprovalInputError(`inputs.${i}.name`, `inputs.${i}.name must be letters, digits, - or _ (at most 50, not "reason"), got "${f.name}"`);
    }
    if (names_.has(f.name)) throw new ApprovalInputError(`inputs.${i}.name`, `inputs.${i}.name "${f.name}" is used twice`);
    names_.add(f.name);
  }
  checkMinimums(input, names);
  if (names.policies) {
    const asked = [...groups, ...(input.escalation?.approverGroups ?? [])];
    const [violation] = policyViolations(input, policyOfGroups(asked, names.policies));
    if (violation) throw new ApprovalInputError(violation.field, violation.message);
  }
  const id = approvalWorkflowId(out);
  if (id.length > MAX_APPROVAL_ID_LENGTH) {
    throw new ApprovalInputError('execution', `pipeline, stage and execution make an approval id of ${id.length} characters (":" and "%" count three); at most ${MAX_APPROVAL_ID_LENGTH}`);
  }
  for (const url of callbackUrlsOf(out.notify)) {
    const problem = callbackUrlProblem(url);
    if (problem) throw new ApprovalInputError('callback', `callback: ${problem}`);
  }
  const dest = out.destination;
  const carrier = names.policies && names.carrierOf?.(dest);
  if (carrier) {
    // Whoever holds the carrier's signing secret can claim any user on its cards (SECURITY.md).
    const refused = carrierViolation([...groups, ...(input.escalation?.approverGroups ?? [])], carrier, names.policies!);
    const field = 'webhook' in dest ? 'webhook' : dest.connector ? 'connector' : 'project';
    if (refused) throw new ApprovalInputError(field, `${field}: ${refused}`);
  }
  if ('webhook' in dest) {
    if (names.webhooks && !names.webhooks.includes(dest.webhook)) {
      throw new ApprovalInputError('destination.webhook', `unknown incoming webhook "${dest.webhook}" (configured: ${names.webhooks.join(', ') || 'none'})`);
    }
  } else if (!dest.channel?.trim()) throw new ApprovalInputError('destination.channel', 'destination.channel must name a channel (#deploys or C0123)');
  return input;
}

/**
 * Starts the approval, or finds the one already running for the same
 * pipeline, stage and execution: `created` says which (the API answers 201
 * or 200). A finished approval with the same id does not block a new one.
 */
export async function startApproval(client: Client, asked: ApprovalRequest | ApprovalInput, taskQueue: string): Promise<{ workflowId: string; created: boolean }> {
  const request = asInput(asked);
  try {
    const handle = await requestApproval(client, request, taskQueue, WorkflowIdConflictPolicy.FAIL);
    return { workflowId: handle.workflowId, created: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const workflowId = approvalWorkflowId(request);
    await refuseSquatting(client, workflowId, request);
    return { workflowId, created: false };
  }
}

/**
 * Joins the running approval only when it asks for exactly what this request
 * asks: otherwise whoever created the id first (with laxer approvers, a short
 * timeout) would decide a pipeline that asked for something else.
 */
export async function refuseSquatting(client: Client, workflowId: string, request: ApprovalInput): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  const described = await handle.describe();
  const memo = (await described.memo) as { request?: RecordedApprovalInput } | undefined;
  const recorded = memo?.request ?? (await handle.query(approvalStateQuery).catch(() => undefined))?.request;
  // A run started before durations were milliseconds recorded them as text: compared in milliseconds.
  const running = recorded && tryInput(recorded);
  if (!running) throw new ApprovalConflict(workflowId, ['request (the running approval cannot be read)']);
  const fields = requestDifferences(running, request);
  if (fields.length) throw new ApprovalConflict(workflowId, fields);
}

function tryInput(request: RecordedApprovalInput): ApprovalInput | undefined {
  try {
    return asInput(request);
  } catch {
    return undefined;
  }
}
