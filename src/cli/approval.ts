/**
 * `signalroom approval …`: what a pipeline step runs to ask for approval and
 * wait for it.
 *
 * Exit codes of `request --wait` and `status`:
 *   0 approved · 1 rejected · 2 expired · 3 cancelled · 4 still pending (status only)
 *   5 failed (the run failed, was terminated or timed out), an error talking to Temporal or a refused request · 64 bad usage
 */
import os from 'node:os';
import type { Command } from 'commander';
import { ApiUsageError, SignalroomApi, withApiOptions, type ApiApproval } from './api-client';
import type { Client } from '@temporalio/client';
import { withTemporalClient } from '../temporal/connection';
import { readEnv } from '../config/env';
import { ApprovalInputError, approvalNamesOf, approvalWorkflowId, normalizeApprovalRequest, startApproval, type ApprovalNames } from '../approvals/client';
import { loadConfig } from '../config/load';
import { approvalStateQuery, cancelApprovalUpdate, decideUpdate } from '../../workflows/messages';
import type { ApprovalRequest, ApprovalResult, ApprovalState, ApproverInputField } from '../../workflows/approval/types';
import { linkProblem } from '../slack/mrkdwn';
import { APPROVAL_EXIT, approvalExitCode, approvalStatusOf, rootCause } from '../approvals/outcome';

export { APPROVAL_EXIT };
export const EXIT_APPROVAL_ERROR = 5;
export const EXIT_APPROVAL_USAGE = 64;

/** The type of the innermost application failure under a workflow failure. */
function failureType(err: unknown): string | undefined {
  let type: string | undefined;
  for (let e = err as { cause?: unknown; type?: unknown } | undefined; e; e = e.cause as typeof e) if (typeof e.type === 'string') type = e.type;
  return type;
}

/** Who runs the CLI directly against Temporal: the OS user on this host, recorded with their decisions. */
function cliOperator(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return `${user}@${os.hostname()}`;
}

/** Bad usage: exit 64 with the message. */
class UsageError extends Error {}

/**
 * Runs an approval subcommand: usage problems exit 64, anything that goes
 * wrong talking to Temporal exits 5 — never a code a pipeline could read as
 * an outcome.
 */
async function run(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof ApprovalInputError || err instanceof ApiUsageError;
    process.stderr.write(`signalroom approval: ${(err as Error).message}\n`);
    process.exitCode = usage ? EXIT_APPROVAL_USAGE : EXIT_APPROVAL_ERROR;
  }
}

/** What the configuration lets a request name; unchecked without configured approver groups (e.g. the dev sandbox's built-in ones). */
function configuredNames(): ApprovalNames {
  const { config } = loadConfig();
  const names = approvalNamesOf(config);
  if (!names.approverGroups?.length) return {};
  return { ...names, webhooks: names.webhooks?.length ? names.webhooks : undefined };
}

/** `--input name=Label` (append `!` to the name to require it: `ticket!=Change ticket`). */
function parseInputs(specs: string[] | undefined): ApproverInputField[] | undefined {
  if (!specs?.length) return undefined;
  return specs.map((spec) => {
    const m = /^([^=!]+)(!?)=(.+)$/.exec(spec);
    if (!m) throw new UsageError(`--input must look like name=Label or name!=Label (required), got "${spec}"`);
    return { name: m[1]!.trim(), label: m[3]!.trim(), required: m[2] === '!' };
  });
}

interface Out {
  json: boolean;
  line(text: string): void;
  event(obj: Record<string, unknown>): void;
}

function output(json: boolean): Out {
  return {
    json,
    line: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    event: (obj) => {
      if (json) process.stdout.write(`${JSON.stringify(obj)}\n`);
    },
  };
}

const decisionLine = (d: ApprovalState['decisions'][number]) => `${d.verb === 'approve' ? 'Approved' : 'Rejected'} by ${d.user.name ?? d.user.id} via ${d.via}${d.reason ? `: ${d.reason}` : ''}`;
const refusedLine = (r: ApprovalState['refused'][number]) => `Refused ${r.verb} from ${r.user.name ?? r.user.id}: ${r.why}`;

/** What an approval's record holds: the live state, the final result, or the API's view. */
type Progress = Pick<ApprovalState, 'decisions' | 'refused'> & { escalated?: boolean };

/** The lines for what `next` holds beyond `prev`: new decisions, new refusals, an escalation. */
function describeChange(prev: Progress | undefined, next: Progress): string[] {
  const lines: string[] = [];
  for (const d of next.decisions.slice(prev?.decisions.length ?? 0)) lines.push(decisionLine(d));
  for (const r of next.refused.slice(prev?.refused.length ?? 0)) lines.push(refusedLine(r));
  if (prev?.escalated !== undefined && next.escalated !== undefined && prev.escalated !== next.escalated) lines.push('Escalated to more approvers');
  return lines;
}

/** The card's link, once: a line for people, a `posted` event for machines (the same in both modes). */
function linkPrinter(out: Out): (permalink: string | undefined) => void {
  let printed = false;
  return (permalink) => {
    if (!permalink || printed) return;
    printed = true;
    out.line(`In Slack: ${permalink}`);
    out.event({ event: 'posted', permalink });
  };
}

async function follow(client: Client, workflowId: string, out: Out, pollMs = 1000): Promise<ApprovalResult> {
  const handle = client.workflow.getHandle(workflowId);
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  });
  let last: ApprovalState | undefined;
  let warned = false;
  const printLink = linkPrinter(out);
  const watcher = (async () => {
    while (!done) {
      try {
        const state = await handle.query(approvalStateQuery);
        if (!last) out.line(`Waiting: ${state.approvals} of ${state.needed} approvals; expires ${state.expiresAt}`);
        printLink(state.message?.permalink);
        for (const line of describeChange(last, state)) {
          out.line(line);
          out.event({ event: 'progress', message: line, approvals: state.approvals, needed: state.needed, status: state.status });
        }
        last = state;
        warned = false;
      } catch {
        if (!warned && !done) out.line('… no worker is answering yet; still waiting (the request is safe in Temporal)');
        warned = true;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();
  try {
    const final = await result;
    await watcher;
    printLink(final.message?.permalink);
    const approvals = final.decisions.filter((d: { verb: string }) => d.verb === 'approve').length;
    // What the last poll did not see: the run may finish between two polls.
    for (const line of describeChange(last, final)) {
      out.line(line);
      out.event({ event: 'progress', message: line, approvals, needed: last?.needed, status: final.status });
    }
    return final;
  } finally {
    await watcher;
  }
}

function parseRequest(opts: Record<string, string | string[] | boolean | undefined>): ApprovalRequest {
  const list = (v: unknown) => ([] as string[]).concat((v as string[]) ?? []).flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean);
  const groups = list(opts.approvers);
  if (!groups.length) throw new UsageError('--approvers GROUP is required');
  if (!opts.channel === !opts.webhook) throw new UsageError('give exactly one of --channel or --webhook');
  const min = opts.min ? Number(opts.min) : 1;
  if (!Number.isInteger(min) || min < 1) throw new UsageError(`--min must be a positive whole number, got ${opts.min}`);
  if (opts.onTimeout !== undefined && opts.onTimeout !== 'approve' && opts.onTimeout !== 'reject') throw new UsageError(`--on-timeout must be reject or approve, got ${opts.onTimeout}`);
  if (Boolean(opts.escalateAfter) !== Boolean(opts.escalateTo)) throw new UsageError('--escalate-after and --escalate-to go together');
  const badLink = typeof opts.link === 'string' ? linkProblem(opts.link) : undefined;
  if (badLink) throw new UsageError(`--link ${opts.link}: ${badLink}`);
  return {
    pipeline: String(opts.pipeline),
    stage: String(opts.stage),
    execution: String(opts.execution),
    link: opts.link as string | undefined,
    summary: opts.summary as string | undefined,
    requestedBy: opts.requestedBy as string | undefined,
    approverGroups: groups,
    minApprovals: min,
    allowSelfApproval: Boolean(opts.allowSelfApproval),
    timeout: (opts.timeout as string) ?? '1h',
    onTimeout: opts.onTimeout === 'approve' ? 'approve' : 'reject',
    remindEvery: opts.remindEvery as string | undefined,
    escalation: opts.escalateAfter ? { after: String(opts.escalateAfter), approverGroups: list(opts.escalateTo) } : undefined,
    rejectionNeedsReason: Boolean(opts.requireReason),
    inputs: parseInputs(opts.input as string[] | undefined),
    destination: opts.channel
      ? { channel: String(opts.channel), project: opts.project as string | undefined, connector: opts.connector as string | undefined }
      : { webhook: String(opts.webhook), project: opts.project as string | undefined },
  };
}


/** The last line of `request --wait`: the outcome, or why the request failed. */
function outcomeLine(final: { status: string; outcomeNote?: string; reason?: string }): string {
  if (final.status === 'failed') return `The approval failed: ${final.reason ?? 'no reason given'}`;
  return `Outcome: ${final.status}${final.outcomeNote ? ` (${final.outcomeNote})` : ''}`;
}

/** The first line of `status`: progress while pending, the reason once failed. */
function statusLine(a: { id: string; status: string; reason?: string; approvals: number; needed: number; expiresAt: string }): string {
  if (a.status === 'failed') return `${a.id}: failed — ${a.reason ?? 'no reason given'}`;
  return `${a.id}: ${a.status} — ${a.approvals} of ${a.needed} approvals; expires ${a.expiresAt}`;
}

/** Long-polls the API until the approval is final, printing each change. */
async function followThroughApi(api: SignalroomApi, id: string, out: Out): Promise<ApiApproval> {
  let seen: Progress | undefined;
  const printLink = linkPrinter(out);
  let linked = false;
  let polls = 0;
  for (;;) {
    // Short polls at first, to print the card's link as soon as it is posted (a webhook card has none).
    const { done, approval } = await api.waitApproval(id, linked || polls++ >= 5 ? '30s' : '1s');
    if (approval.message?.permalink) {
      linked = true;
      printLink(approval.message.permalink);
    }
    const now = { decisions: approval.decisions, refused: approval.refused } as Progress;
    for (const line of describeChange(seen, now)) {
      out.line(line);
      out.event({ event: 'progress', message: line, approvals: approval.approvals, needed: approval.needed, status: approval.status });
    }
    seen = now;
    if (done) return approval;
  }
}

export function registerApprovalCommands(program: Command): void {
  const approval = program
    .command('approval')
    .description('Ask for, follow and decide approvals (exit codes: 0 approved, 1 rejected, 2 expired, 3 cancelled, 4 pending, 5 error)');

  withApiOptions(approval.command('request'))
    .description('Request an approval; with --wait, wait for the outcome and exit with its code')
    .requiredOption('--pipeline <name>', 'the pipeline')
    .requiredOption('--stage <name>', 'the stage awaiting approval')
    .requiredOption('--execution <id>', 'the pipeline run; pipeline+stage+execution identify the approval')
    .option('--approvers <groups...>', 'approver group names from the configuration')
    .option('--min <n>', 'approvals needed', '1')
    .option('--timeout <duration>', 'how long to wait (30m, 2h)', '1h')
    .option('--on-timeout <outcome>', 'reject or approve when nobody decides', 'reject')
    .option('--channel <channel>', 'post to this channel (#deploys or C0123)')
    .option('--webhook <name>', 'post through this configured incoming webhook instead')
    .option('--project <name>', 'the project, which picks the Slack integration')
    .option('--connector <name>', 'a connector the project may use')
    .option('--requested-by <user>', 'the executor: Slack user ID or email (may not approve their own run)')
    .option('--allow-self-approval', 'let the executor approve')
    .option('--link <url>', 'link to the pipeline run')
    .option('--summary <text>', 'what is being approved')
    .option('--remind-every <duration>', 'remind approvers this often')
    .option('--require-reason', 'a rejection must give a reason')
    .option('--input <name=Label...>', 'a field the approver fills in when approving (name!=Label: required); returned in the result')
    .option('--escalate-after <duration>', 'add more approvers after this long')
    .option('--escalate-to <groups...>', 'the approver groups added on escalation')
    .option('--wait', 'wait for the outcome, printing each change')
    .option('--json', 'JSON lines for machines')
    .action((opts) =>
      run(async () => {
        const out = output(Boolean(opts.json));
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) {
          // The server checks names and durations against its own configuration.
          const created = await api.requestApproval(parseRequest(opts));
          out.line(`Approval requested: ${created.id}`);
          out.event({ event: 'requested', workflowId: created.id });
          if (!opts.wait) return 0;
          const final = await followThroughApi(api, created.id, out);
          out.line(outcomeLine(final));
          out.event({ event: 'result', ...final });
          return approvalExitCode(final);
        }
        const request = normalizeApprovalRequest(parseRequest(opts), configuredNames());
        return withTemporalClient(async (client) => {
          // Joins a retried step's running approval only when it asks for the same thing (ApprovalConflict: exit 5).
          const { workflowId, created } = await startApproval(client, request, readEnv().SIGNALROOM_TASK_QUEUE);
          out.line(created ? `Approval requested: ${workflowId}` : `Approval requested: ${workflowId} (already running with the same request: joined it)`);
          out.event({ event: 'requested', workflowId });
          if (!opts.wait) return 0;
          try {
            const result = await follow(client, workflowId, out);
            out.line(outcomeLine(result));
            out.event({ event: 'result', ...result });
            return approvalExitCode(result);
          } catch (err) {
            // The root cause (e.g. "Channel #deplyos does not exist"), not Temporal's "Activity task failed".
            const { status, reason } = approvalStatusOf({ failure: err });
            out.line(outcomeLine({ status, reason }));
            out.event({ event: 'error', status, message: reason ?? rootCause(err) });
            // A requester who is not exactly one Slack user is a bad request, refused before any card was posted.
            return failureType(err) === 'Signalroom:unresolvable_requester' ? EXIT_APPROVAL_USAGE : EXIT_APPROVAL_ERROR;
          }
        });
      }),
    );

  withApiOptions(approval.command('status <id>'))
    .description('Show an approval by its id (as printed by request); exit code by status')
    .option('--json', 'print the state as JSON')
    .action((id: string, opts) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) {
          const a = await api.approval(id);
          if (opts.json) process.stdout.write(`${JSON.stringify(a)}\n`);
          else process.stdout.write(`${statusLine(a)}\n`);
          return approvalExitCode(a);
        }
        return withTemporalClient(async (client) => {
          const handle = client.workflow.getHandle(id);
          const described = await handle.describe();
          const state = await handle.query(approvalStateQuery);
          // A run that ended without a result (failed, terminated, timed out) has a state frozen at 'pending'.
          const failure = described.status.name === 'RUNNING' || described.status.name === 'COMPLETED' ? undefined : await handle.result().then(() => undefined, (err: unknown) => err ?? new Error('failed'));
          const { status, reason } = approvalStatusOf({ state, failure });
          const proceed = status === 'expired' && state.request.onTimeout === 'approve';
          if (opts.json) process.stdout.write(`${JSON.stringify({ ...state, status, ...(reason ? { reason } : {}) })}\n`);
          else {
            process.stdout.write(`${statusLine({ ...state, id: state.workflowId, status, reason })}\n`);
            for (const line of describeChange(undefined, state)) process.stdout.write(`  ${line}\n`);
            if (state.outcomeNote) process.stdout.write(`  ${state.outcomeNote}\n`);
          }
          return approvalExitCode({ status, proceed });
        });
      }),
    );

  withApiOptions(approval.command('decide <id>'))
    .description('Approve or reject as a user, under the same rules as a Slack click (exit 0 recorded, 5 refused)')
    .option('--approve', 'approve')
    .option('--reject', 'reject')
    .option('--reason <text>', 'why (required by some approvals to reject)')
    .option('--input <name=value...>', 'approver inputs, when the approval asks for them')
    .option('--as <user>', 'the Slack user ID deciding (through the API: defaults to the token’s own user)')
    .option('--json', 'print the outcome as JSON')
    .action((id: string, opts) =>
      run(async () => {
        if (Boolean(opts.approve) === Boolean(opts.reject)) throw new UsageError('give exactly one of --approve or --reject');
        const inputs = opts.input ? Object.fromEntries((opts.input as string[]).map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')])) : undefined;
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) {
          const outcome = await api.decide(id, opts.approve ? 'approve' : 'reject', opts.as, opts.reason, inputs);
          process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${outcome.message}\n`);
          return outcome.accepted ? 0 : EXIT_APPROVAL_ERROR;
        }
        if (!opts.as) throw new UsageError('--as <user> is required when deciding directly against Temporal');
        return withTemporalClient(async (client) => {
          // The decision records who ran the command, beside whom it decides as.
          const outcome = await client.workflow.getHandle(id).executeUpdate(decideUpdate, {
            args: [{ verb: opts.approve ? 'approve' : 'reject', user: { id: opts.as }, reason: opts.reason, inputs, via: 'cli', by: { operator: cliOperator() } }],
          });
          process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${outcome.message}\n`);
          return outcome.accepted ? 0 : EXIT_APPROVAL_ERROR;
        });
      }),
    );

  withApiOptions(approval.command('cancel <id>'))
    .description('Cancel a pending approval; its Slack message says so (exit 0 cancelled, 5 already final)')
    .option('--as <user>', 'who cancels (Slack user ID)')
    .option('--reason <text>', 'why')
    .option('--json', 'print the outcome as JSON')
    .action((id: string, opts) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        const outcome = api
          ? await api.cancel(id, opts.as, opts.reason)
          : await withTemporalClient((client) =>
              client.workflow.getHandle(id).executeUpdate(cancelApprovalUpdate, { args: [{ by: opts.as ? { id: opts.as } : undefined, reason: opts.reason, caller: { operator: cliOperator() } }] }),
            );
        process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${outcome.message}\n`);
        return outcome.accepted ? 0 : EXIT_APPROVAL_ERROR;
      }),
    );
}

export { approvalWorkflowId };
