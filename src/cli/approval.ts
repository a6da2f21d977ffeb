/**
 * `signalroom approval …`: what a pipeline step runs to ask for approval and
 * wait for it. Each command is written once against the approvals port, and
 * goes straight to Temporal or, with `--api`, through the HTTP API: the same
 * lines, JSON and exit codes either way.
 *
 * Exit codes (exitCodeOf, the one place they are decided):
 *   `request --wait` and `status`: 0 approved · 1 rejected · 2 expired · 3 cancelled · 4 still pending or held (status only) · 5 failed · 6 expired while held
 *   `decide`, `cancel`: 0 recorded · 5 refused
 *   every command: 5 an error talking to Temporal or the server · 64 bad usage
 */
import type { Command } from 'commander';
import { ApiCallError, ApiUsageError, SignalroomApi, withApiOptions } from './api-client';
import { ApprovalInputError, ApprovalNotFound } from '../approvals/errors';
import type { ApprovalsPort, ApprovalView } from '../approvals/port';
import { onDemand } from './on-demand';
import type { ApprovalRequest, ApproverInputField, DecideOutcome } from '../../core/approval/types';
import { DEFAULT_APPROVAL_TIMEOUT } from '../../core/approval/durations';
import { linkProblem, mrkdwnToPlain } from '../../core/slack/mrkdwn';
import { APPROVAL_EXIT, EXIT_EXPIRED_HELD } from '../approvals/outcome';
import { MAX_APPROVALS } from '../../core/approval/policy';
import { callbackUrlProblem } from '../../core/approval/callback';

export { APPROVAL_EXIT };
export const EXIT_APPROVAL_ERROR = 5;
export const EXIT_APPROVAL_USAGE = 64;

/** Bad usage: exit 64 with the message. */
class UsageError extends Error {}

/** How a command ended: an approval as it stands, a decision's outcome, a request started, or an error. */
type Ending = { approval: Pick<ApprovalView, 'status' | 'proceed' | 'expiredHeld'> } | { outcome: Pick<DecideOutcome, 'accepted'> } | { requested: true } | { error: unknown };

/** The exit code of every approval command. */
function exitCodeOf(ending: Ending): number {
  if ('requested' in ending) return 0;
  if ('outcome' in ending) return ending.outcome.accepted ? 0 : EXIT_APPROVAL_ERROR;
  if ('approval' in ending) {
    // An expiry that approves (`--on-timeout approve`, where allowed) lets the pipeline go on.
    const { status, proceed, expiredHeld } = ending.approval;
    if (status === 'expired' && expiredHeld) return EXIT_EXPIRED_HELD;
    return status === 'expired' && proceed ? 0 : APPROVAL_EXIT[status];
  }
  const { error } = ending;
  return error instanceof UsageError || error instanceof ApprovalInputError || error instanceof ApiUsageError ? EXIT_APPROVAL_USAGE : EXIT_APPROVAL_ERROR;
}

/**
 * Runs an approval subcommand: `prepare` checks the command line (nothing is
 * contacted for bad usage) and gives the command, which runs against the port
 * the options choose. Usage problems exit 64, anything that goes wrong
 * talking to Temporal or the server exits 5 — never a code a pipeline could
 * read as an outcome.
 */
async function run(opts: { api?: string | boolean; token?: string }, prepare: () => (approvals: ApprovalsPort) => Promise<Ending>): Promise<void> {
  let ending: Ending;
  try {
    const command = prepare();
    const api = SignalroomApi.fromEnvironment(opts);
    ending = api ? await command(api.approvals) : await overTemporal(command);
  } catch (err) {
    process.stderr.write(`signalroom approval: ${(err as Error).message}\n`);
    ending = { error: err };
  }
  process.exitCode = exitCodeOf(ending);
}

/**
 * Runs a command straight against Temporal (the connection from the
 * environment), with the configuration's approver groups and webhook names:
 * the only parts of the file it reads, so a server's secrets need not be set.
 */
function overTemporal<T>(command: (approvals: ApprovalsPort) => Promise<T>): Promise<T> {
  const { ApprovalService } = onDemand.approvalsService();
  const names = () => {
    // Projects and connector names tell which integration would carry the card (approverGroups.<group>.integrations).
    const loaded = onDemand.config().loadConfig(process.env, process.cwd(), { parts: ['approverGroups', 'projects'], keysOf: ['slack.webhooks', 'slack.connectors'] });
    const known = onDemand.approvalsClient().approvalNamesOf(loaded.config, loaded.keys?.['slack.connectors'] ?? []);
    return known.approverGroups ? { ...known, webhooks: loaded.keys?.['slack.webhooks'] ?? [] } : known;
  };
  // A callback is checked against the configuration beside the CLI when there is one (its outbound rules, and
  // whether callbacks are configured: the secret's name only, never its value); otherwise the worker checks it.
  const checkCallback = async (url: string) => {
    const loaded = onDemand.config().loadConfig(process.env, process.cwd(), { parts: ['outbound'], keysOf: ['callbacks'] });
    if (!loaded.file) return undefined;
    const signing = loaded.keys?.callbacks?.includes('signingSecret') ? 'configured' : undefined;
    return onDemand.callbackCheck().callbackCheck({ policy: loaded.config.outbound, signingSecret: signing })(url);
  };
  return onDemand.temporal().withTemporalClient((client) => command(onDemand.approvalsPort().approvalsOverTemporal(new ApprovalService(client, onDemand.env().readEnv().SIGNALROOM_TASK_QUEUE, names, undefined, checkCallback))));
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

const decisionLine = (d: ApprovalView['decisions'][number]) => `${d.verb === 'approve' ? 'Approved' : 'Rejected'} by ${d.user.name ?? d.user.id} via ${d.via}${d.reason ? `: ${d.reason}` : ''}`;
const refusedLine = (r: ApprovalView['refused'][number], a?: ApprovalView) => `Refused ${r.verb} from ${r.user.name ?? r.user.id}: ${a ? plain(a, r.why) : mrkdwnToPlain(r.why)}`;
/** "1 of 2 approvals", "0 of 1 approval". */
const progress = (a: Pick<ApprovalView, 'approvals' | 'needed'>) => `${a.approvals} of ${a.needed} approval${a.needed === 1 ? '' : 's'}`;

/** A note written for the Slack card (mentions, escaped text), as a terminal shows it: people by name where the approval knows them. */
function plain(a: ApprovalView, text: string): string {
  const names = new Map<string, string>();
  for (const p of [...a.decisions.map((d) => d.user), ...a.refused.map((r) => r.user)]) if (p.name) names.set(p.id, p.name);
  return mrkdwnToPlain(text, (id) => names.get(id));
}

/** The lines for what `next` holds beyond `prev`: new decisions, new refusals, an escalation. */
function describeChange(prev: ApprovalView | undefined, next: ApprovalView): string[] {
  const lines: string[] = [];
  for (const d of next.decisions.slice(prev?.decisions.length ?? 0)) lines.push(decisionLine(d));
  for (const r of next.refused.slice(prev?.refused.length ?? 0)) lines.push(refusedLine(r, next));
  if (prev && prev.escalated !== next.escalated) lines.push('Escalated to more approvers');
  // What holds it (an incident, a freeze), when that changes: `--wait` keeps waiting through a hold.
  const holds = (v: ApprovalView | undefined) => (v?.status === 'held' ? (v.heldBy ?? []).map((h) => (h.source === 'freeze' ? `frozen${h.until ? ` until ${h.until}` : ''}: ${h.label}` : `held by ${h.label}`)).join('; ') : '');
  if (holds(prev) !== holds(next)) lines.push(holds(next) ? `${holds(next)[0]!.toUpperCase()}${holds(next).slice(1)}` : 'No longer held');
  for (const e of (next.exceptions ?? []).slice(prev?.exceptions?.length ?? 0)) lines.push(`Exception granted by ${e.by}: ${e.reason}`);
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

/** Errors that waiting longer cannot mend: no such approval, a refused call, bad usage. */
function isFinalError(err: unknown): boolean {
  return err instanceof ApprovalNotFound || err instanceof ApprovalInputError || (err instanceof ApiCallError && err.status < 500);
}

const hasLink = (view: ApprovalView | undefined) => Boolean(view?.message?.permalink);

/** Waits until the approval is final, printing each change; a run nobody answers for yet is waited for. */
async function follow(approvals: ApprovalsPort, id: string, out: Out): Promise<ApprovalView> {
  let seen: ApprovalView | undefined;
  const printLink = linkPrinter(out);
  let polls = 0;
  let warned = false;
  for (;;) {
    let done: boolean;
    let approval: ApprovalView;
    try {
      // Short waits at first, to print the card's link as soon as it is posted (a webhook card has none).
      ({ done, approval } = await approvals.wait(id, hasLink(seen) || polls++ >= 5 ? 30_000 : 1_000));
    } catch (err) {
      if (isFinalError(err)) throw err;
      if (!warned) out.line('… no worker is answering yet; still waiting (the request is safe in Temporal)');
      warned = true;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    warned = false;
    if (!seen && !done) out.line(`Waiting: ${progress(approval)}; expires ${approval.expiresAt}`);
    printLink(approval.message?.permalink);
    for (const line of describeChange(seen, approval)) {
      out.line(line);
      out.event({ event: 'progress', message: line, approvals: approval.approvals, needed: approval.needed, status: approval.status });
    }
    seen = approval;
    if (done) return approval;
  }
}


function parseRequest(opts: Record<string, string | string[] | boolean | undefined>): ApprovalRequest {
  const list = (v: unknown) => ([] as string[]).concat((v as string[]) ?? []).flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean);
  const groups = list(opts.approvers);
  if (!groups.length) throw new UsageError('--approvers GROUP is required');
  if (!opts.channel === !opts.webhook) throw new UsageError('give exactly one of --channel or --webhook');
  const min = opts.min ? Number(opts.min) : 1;
  if (!Number.isInteger(min) || min < 1) throw new UsageError(`--min must be a positive whole number, got ${opts.min}`);
  if (min > MAX_APPROVALS) throw new UsageError(`--min must be at most ${MAX_APPROVALS}, got ${opts.min}`);
  if (opts.onTimeout !== undefined && opts.onTimeout !== 'approve' && opts.onTimeout !== 'reject') throw new UsageError(`--on-timeout must be reject or approve, got ${opts.onTimeout}`);
  if (Boolean(opts.escalateAfter) !== Boolean(opts.escalateTo)) throw new UsageError('--escalate-after and --escalate-to go together');
  const badCallback = typeof opts.callback === 'string' ? callbackUrlProblem(opts.callback) : undefined;
  if (badCallback) throw new UsageError(`--callback: ${badCallback}`);
  const badLink = typeof opts.link === 'string' ? linkProblem(opts.link) : undefined;
  if (badLink) throw new UsageError(`--link ${opts.link}: ${badLink}`);
  return {
    pipeline: String(opts.pipeline),
    stage: String(opts.stage),
    execution: String(opts.execution),
    link: opts.link as string | undefined,
    summary: opts.summary as string | undefined,
    ...(opts.service ? { service: opts.service as string } : {}),
    requestedBy: opts.requestedBy as string | undefined,
    approverGroups: groups,
    minApprovals: min,
    allowSelfApproval: Boolean(opts.allowSelfApproval),
    timeout: opts.timeout as string | undefined,
    onTimeout: opts.onTimeout === 'approve' ? 'approve' : 'reject',
    remindEvery: opts.remindEvery as string | undefined,
    escalation: opts.escalateAfter ? { after: String(opts.escalateAfter), approverGroups: list(opts.escalateTo) } : undefined,
    rejectionNeedsReason: Boolean(opts.requireReason),
    inputs: parseInputs(opts.input as string[] | undefined),
    ...(typeof opts.callback === 'string' ? { notify: [{ kind: 'callback' as const, url: opts.callback }] } : {}),
    destination: opts.channel
      ? { channel: String(opts.channel), project: opts.project as string | undefined, connector: opts.connector as string | undefined }
      : { webhook: String(opts.webhook), project: opts.project as string | undefined },
  };
}


/** The last line of `request --wait`: the outcome, or why the request failed. */
function outcomeLine(final: ApprovalView): string {
  if (final.status === 'failed') return `The approval failed: ${final.reason ?? 'no reason given'}`;
  return `Outcome: ${final.status}${final.outcomeNote && !noteRepeatsDecision(final) ? ` (${plain(final, final.outcomeNote)})` : ''}${problemsText(final)}`;
}

/** Problems beside the outcome (a card Slack would not update), which never change it. */
function problemsText(a: Pick<ApprovalView, 'problems'>): string {
  return a.problems?.length ? `\nProblems (the outcome stands): ${a.problems.join('; ')}` : '';
}

/** A rejection's note says what its decision line already says: print it once. */
const noteRepeatsDecision = (a: ApprovalView) => a.status === 'rejected' && a.decisions.some((d) => d.verb === 'reject');

/** `status`: progress while pending, the reason once failed; then each decision and refusal, and the outcome. */
function statusLines(a: ApprovalView): string[] {
  const first = a.status === 'failed' ? `${a.id}: failed — ${a.reason ?? 'no reason given'}` : `${a.id}: ${a.status} — ${progress(a)}; expires ${a.expiresAt}`;
  return [first, ...describeChange(undefined, a).map((l) => `  ${l}`), ...(a.outcomeNote && !noteRepeatsDecision(a) ? [`  ${plain(a, a.outcomeNote)}`] : []), ...(a.problems ?? []).map((p) => `  Problem (the outcome stands): ${p}`)];
}

/** What `decide` and `cancel` print: the outcome's message, or the outcome as JSON. */
function printOutcome(outcome: DecideOutcome, json: boolean): Ending {
  process.stdout.write(json ? `${JSON.stringify(outcome)}\n` : `${mrkdwnToPlain(outcome.message)}\n`);
  return { outcome };
}

export function registerApprovalCommands(program: Command): void {
  const approval = program
    .command('approval')
    .description('Ask for, follow and decide approvals (exit codes: 0 approved, 1 rejected, 2 expired, 3 cancelled, 4 pending or held, 5 error, 6 expired while held)');

  withApiOptions(approval.command('request'))
    .description('Request an approval; with --wait, wait for the outcome and exit with its code')
    .requiredOption('--pipeline <name>', 'the pipeline')
    .requiredOption('--stage <name>', 'the stage awaiting approval')
    .requiredOption('--execution <id>', 'the pipeline run; pipeline+stage+execution identify the approval')
    .option('--approvers <groups...>', 'approver group names from the configuration')
    .option('--min <n>', 'approvals needed', '1')
    .option('--timeout <duration>', 'how long to wait (30m, 2h)', DEFAULT_APPROVAL_TIMEOUT)
    .option('--on-timeout <outcome>', 'reject or approve when nobody decides', 'reject')
    .option('--channel <channel>', 'post to this channel (#deploys or C0123)')
    .option('--webhook <name>', 'post through this configured incoming webhook instead')
    .option('--project <name>', 'the project, which picks the Slack integration')
    .option('--connector <name>', 'a connector the project may use')
    .option('--requested-by <user>', 'the executor: Slack user ID or email (may not approve their own run)')
    .option('--allow-self-approval', 'let the executor approve')
    .option('--service <name>', 'the service deployed: what incident holds and freezes match (default: the pipeline)')
    .option('--link <url>', 'link to the pipeline run')
    .option('--summary <text>', 'what is being approved')
    .option('--remind-every <duration>', 'remind approvers this often')
    .option('--require-reason', 'a rejection must give a reason')
    .option('--input <name=Label...>', 'a field the approver fills in when approving (name!=Label: required); returned in the result')
    .option('--callback <url>', 'POST the outcome here once decided, signed (callbacks.signingSecret): resumes Argo, Jenkins… without a waiting runner')
    .option('--escalate-after <duration>', 'add more approvers after this long')
    .option('--escalate-to <groups...>', 'the approver groups added on escalation')
    .option('--wait', 'wait for the outcome, printing each change')
    .option('--json', 'JSON lines for machines')
    .action((opts) =>
      run(opts, () => {
        const request = parseRequest(opts);
        return async (approvals) => {
          const out = output(Boolean(opts.json));
          // Names and durations are checked against the configuration of whichever side starts the workflow.
          // A retried step joins the running approval only when it asks for the same thing (ApprovalConflict: exit 5).
          const { id, created } = await approvals.request(request);
          out.line(created ? `Approval requested: ${id}` : `Approval requested: ${id} (already running with the same request: joined it)`);
          out.event({ event: 'requested', workflowId: id });
          // What only the worker can check (the approver groups without a local configuration, a requester
          // only Slack knows) is answered before the CLI returns, so every path exits the same (64 refused, 5 failed).
          const verdict = await approvals.verdict?.(id, () => out.line('… no worker has checked the request yet; still waiting (the request is safe in Temporal)'));
          if (verdict && 'failed' in verdict) {
            const failed = await approvals.get(id);
            out.line(outcomeLine(failed));
            out.event({ event: 'result', ...failed });
            return { approval: failed };
          }
          if (!opts.wait) return { requested: true };
          const final = await follow(approvals, id, out);
          // A failure's root cause (e.g. "Channel #deplyos does not exist"), not Temporal's "Activity task failed".
          out.line(outcomeLine(final));
          out.event({ event: 'result', ...final });
          return { approval: final };
        };
      }),
    );

  withApiOptions(approval.command('status <id>'))
    .description('Show an approval by its id (as printed by request); exit code by status')
    .option('--json', 'print the approval as JSON')
    .action((id: string, opts) =>
      run(opts, () => async (approvals) => {
        const a = await approvals.get(id);
        process.stdout.write(opts.json ? `${JSON.stringify(a)}\n` : statusLines(a).map((l) => `${l}\n`).join(''));
        return { approval: a };
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
      run(opts, () => {
        if (Boolean(opts.approve) === Boolean(opts.reject)) throw new UsageError('give exactly one of --approve or --reject');
        const inputs = opts.input ? Object.fromEntries((opts.input as string[]).map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')])) : undefined;
        const decision = { verb: opts.approve ? 'approve' : 'reject', user: opts.as, reason: opts.reason, inputs } as const;
        return async (approvals) => printOutcome(await approvals.decide(id, decision), Boolean(opts.json));
      }),
    );

  for (const kind of ['exception', 'break-glass'] as const) {
    withApiOptions(approval.command(`${kind} <id>`))
      .description(
        kind === 'exception'
          ? "Grant an exception to a held approval's hold, as its incident's commander or an exception group's member; anyone else asks them (exit 0 granted, 5 refused)"
          : 'Override every hold and approver of a held approval, as a member of a break-glass group; a review follows (exit 0 done, 5 refused)',
      )
      .requiredOption('--reason <text>', 'why (required, recorded)')
      .option('--as <user>', 'the Slack user ID acting (through the API: defaults to the token’s own user)')
      .option('--json', 'print the outcome as JSON')
      .action((id: string, opts) =>
        run(opts, () => {
          if (!String(opts.reason).trim()) throw new UsageError('--reason must say why');
          return async (approvals) => printOutcome(await approvals.override(id, { kind, user: opts.as, reason: opts.reason }), Boolean(opts.json));
        }),
      );
  }

  withApiOptions(approval.command('cancel <id>'))
    .description('Cancel a pending approval; its Slack message says so (exit 0 cancelled, 5 already final)')
    .option('--as <user>', 'who cancels (Slack user ID)')
    .option('--reason <text>', 'why')
    .option('--json', 'print the outcome as JSON')
    .action((id: string, opts) => run(opts, () => async (approvals) => printOutcome(await approvals.cancel(id, { by: opts.as, reason: opts.reason }), Boolean(opts.json))));
}
