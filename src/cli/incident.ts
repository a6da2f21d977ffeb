/**
 * `signalroom incident …` and `signalroom runbook list`: open an incident
 * with a runbook, drive it (updates, severity, resolve) and read its state
 * and timeline. Signals are recorded by Temporal even while no worker runs.
 *
 * Each talks to Temporal directly, or to the Signalroom server's API with
 * `--api URL --token T` (or SIGNALROOM_API_URL / SIGNALROOM_API_TOKEN).
 *
 * Exit codes: 0 done · 1 the request was refused (no such runbook, an
 * invalid runbook, no such incident, a missing input, an incident already
 * resolved, an API token without the permission, an incident already open
 * with a different request) · 64 bad usage (and inputs the engine sets
 * itself, like incident.channelId) · 69
 * Temporal or the API cannot be reached · 70 internal error.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { USER_ID } from '../../core/slack/mrkdwn';
import { ApiCallError, ApiUsageError, SignalroomApi, withApiOptions } from './api-client';
import type { Problem } from '../../core/runbook/validate';
import { IncidentConflict, IncidentInputError, IncidentNotFound, ReservedInputError, TaskRefused, incidentWorkflowId } from '../incidents/errors';
import type { IncidentService, RunbookCatalog } from '../incidents/service';
import { onDemand } from './on-demand';
import { cliOperator } from '../approvals/port';
import type { ActionItem, IncidentState, TaskRequest } from '../../core/incident/types';

export const EXIT_INCIDENT_REFUSED = 1;
const EXIT_USAGE = 64;

/** A problem with its file relative to the working directory, as editors link it. */
const located = (p: Problem) => onDemand.validate().formatProblem({ ...p, file: path.relative(process.cwd(), p.file) || p.file });

/** Where runbooks are found: `--runbooks-dir` when given, else the configuration's `runbooks.dirs` (default `runbooks/`). */
export function runbookDirs(cliDirs: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (cliDirs?.length) return cliDirs;
  // Only runbooks.dirs: the server's secrets elsewhere in the file need not be set for a CLI step.
  return onDemand.config().loadConfig(env, process.cwd(), { parts: ['runbooks.dirs'] }).config.runbooks.dirs;
}

/** `incident.id=42` (repeatable `--input`) to a record; `--input` without `=` is a usage error. */
export function parseInputs(pairs: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input takes NAME=VALUE (like incident.id=INC-42), got "${pair}"`);
    const name = pair.slice(0, eq).trim();
    values[name.startsWith('incident.') ? name : `incident.${name}`] = pair.slice(eq + 1);
  }
  return values;
}

export class UsageError extends Error {
  readonly code = 'usage';
}

/** A refusal to print as is (exit 1). */
class Refused extends Error {}

/** The lines `incident status` prints: the state, then the timeline. */
export function describeIncident(state: IncidentState): string[] {
  const channel = state.incident.channel ? `#${state.incident.channel}` : 'no channel';
  const lines = [
    `${state.workflowId}: ${state.status}${state.incident.severity ? `, ${state.incident.severity}` : ''}; runbook ${state.runbook}; ${channel}`,
    `  opened ${new Date(state.openedAt).toISOString()}; ${state.updates} update${state.updates === 1 ? '' : 's'}, ${state.reminders} reminder${state.reminders === 1 ? '' : 's'}` +
      (state.resolvedAt ? `; resolved ${state.resolvedAt}${state.resolvedBy ? ` by ${state.resolvedBy}` : ''}` : ''),
    'Timeline:',
  ];
  for (const e of state.timeline) {
    const who = [e.by, e.caller?.token && `token ${e.caller.token}`, e.caller?.operator && `operator ${e.caller.operator}`].filter(Boolean).join(', ');
    lines.push(`  ${e.at}  ${e.kind.padEnd(12)} ${e.text}${who ? ` (${who})` : ''}`);
  }
  return lines;
}

function problemsOf(catalog: RunbookCatalog, runbookName?: string): Problem[] {
  if (!runbookName) return catalog.problems;
  // The named runbook's own file when it is the invalid one, else every problem (the name may live in any broken file).
  const own = catalog.problems.filter((p) => p.file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '') === runbookName);
  return own.length ? own : catalog.problems;
}


/** Who writes straight against Temporal: the OS user on this host, recorded on the timeline as the API records a token. */
const operator = () => ({ operator: cliOperator() });

/** Runs `fn` with the incident service straight against Temporal (the connection from the environment). */
function overTemporal<T>(fn: (service: IncidentService) => Promise<T>): Promise<T> {
  const { IncidentService } = onDemand.incidentsService();
  return onDemand.temporal().withTemporalClient((client) => fn(new IncidentService(client, onDemand.env().readEnv().SIGNALROOM_TASK_QUEUE, runbookDirs(undefined))));
}

/** Runs a command body: a refusal prints its message and exits 1; anything else is left to main. */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    // Inputs the engine sets are a usage error wherever they are refused: here, or by the server.
    const reservedInput = err instanceof ReservedInputError || (err instanceof ApiCallError && err.code === 'reserved_input');
    if (err instanceof UsageError || err instanceof ApiUsageError || reservedInput) {
      process.stderr.write(`signalroom: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    // The API's 4xx: the server refused the request and said why (a 5xx is left to main: exit 70).
    const apiRefusal = err instanceof ApiCallError && err.status < 500;
    if (err instanceof Refused || err instanceof IncidentNotFound || err instanceof IncidentInputError || err instanceof IncidentConflict || err instanceof TaskRefused || apiRefusal) {
      process.stderr.write(`signalroom: ${err.message}\n`);
      process.exitCode = EXIT_INCIDENT_REFUSED;
      return;
    }
    throw err;
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface ApiOptions {
  api?: string | boolean;
  token?: string;
}

export function registerIncidentCommands(program: Command): void {
  const incident = program.command('incident').description('Open incidents with a runbook, post updates, change severity, resolve, and show their timeline');

  withApiOptions(incident.command('open'))
    .description('Open an incident with a runbook (a second open for the same incident.id joins the running incident)')
    .requiredOption('--runbook <name>', 'the runbook (signalroom runbook list)')
    .option('--input <name=value>', 'a runbook input, e.g. incident.id=INC-42 (repeatable; incident.id is required)', collect, [])
    .option('--runbooks-dir <dir>', 'read runbooks from this folder instead of the configured runbooks.dirs (repeatable)', collect)
    .option('--opened-by <user>', 'who opens it (Slack user ID), for the timeline')
    .option('--json', 'print the result as JSON')
    .action((opts: ApiOptions & { runbook: string; input: string[]; runbooksDir?: string[]; openedBy?: string; json?: boolean }) =>
      run(async () => {
        const values = parseInputs(opts.input);
        if (!values['incident.id']) throw new UsageError('--input incident.id=ID is required');
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) {
          // The server reads its own runbook folders and validates the inputs.
          if (opts.runbooksDir?.length) throw new UsageError('--runbooks-dir reads local files: through the API the server uses its own runbooks (--no-api to talk to Temporal)');
          const { workflowId, runId } = await api.openIncident(opts.runbook, values, opts.openedBy);
          const result = { incidentId: values['incident.id'], workflowId, runId, runbook: opts.runbook };
          process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `Incident ${result.incidentId} open with runbook ${opts.runbook}: workflow ${workflowId}\n`);
          return;
        }
        const dirs = runbookDirs(opts.runbooksDir);
        const catalog = await onDemand.incidentsService().loadRunbookCatalog(dirs);
        const runbook = catalog.runbooks.get(opts.runbook);
        if (!runbook) {
          const problems = problemsOf(catalog, opts.runbook);
          throw new Refused(
            [
              `no valid runbook named "${opts.runbook}" in ${dirs.join(', ')} (valid: ${[...catalog.runbooks.keys()].join(', ') || 'none'})`,
              ...problems.map((p) => `  ${located(p)}`),
            ].join('\n'),
          );
        }
        await onDemand.temporal().withTemporalClient(async (client) => {
          const handle = await onDemand.incidentsClient().openIncident(client, runbook, values, onDemand.env().readEnv().SIGNALROOM_TASK_QUEUE, opts.openedBy, operator());
          const result = { incidentId: values['incident.id'], workflowId: handle.workflowId, runId: handle.firstExecutionRunId, runbook: runbook.name };
          process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `Incident ${result.incidentId} open with runbook ${runbook.name}: workflow ${handle.workflowId}\n`);
        });
      }),
    );

  withApiOptions(incident.command('update <id> <text>'))
    .description('Post a status update: into the incident’s updates thread, and re-arm the missed-update reminder')
    .option('--as <user>', 'the author (Slack user ID or name)')
    .action((id: string, text: string, opts: ApiOptions & { as?: string }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) await api.updateIncident(id, text, opts.as);
        else await overTemporal((service) => service.update(id, text, opts.as, operator()));
        process.stdout.write(`Update sent to ${incidentWorkflowIdOf(id)}\n`);
      }),
    );

  withApiOptions(incident.command('severity <id> <severity>'))
    .description('Change the severity (e.g. SEV1): announced in Slack, reminders follow the new cadence')
    .option('--as <user>', 'who changed it (Slack user ID)')
    .action((id: string, severity: string, opts: ApiOptions & { as?: string }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) await api.setIncidentSeverity(id, severity, opts.as);
        else await overTemporal((service) => service.setSeverity(id, severity, opts.as, operator()));
        process.stdout.write(`Severity of ${incidentWorkflowIdOf(id)} set to ${severity}\n`);
      }),
    );

  withApiOptions(incident.command('role <id> <role> <user>'))
    .description('Set an incident role: `commander` (who may grant exceptions to the deploys it holds); announced in Slack')
    .option('--as <user>', 'who set it (Slack user ID)')
    .action((id: string, role: string, user: string, opts: ApiOptions & { as?: string }) =>
      run(async () => {
        if (role !== 'commander') throw new InvalidArgumentError(`unknown role "${role}": the role is commander`);
        if (!USER_ID.test(user)) throw new InvalidArgumentError(`the commander must be a Slack user id like U0123ABCD, got "${user}"`);
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) await api.setIncidentCommander(id, user, opts.as);
        else await overTemporal((service) => service.setCommander(id, user, opts.as, operator()));
        process.stdout.write(`Commander of ${incidentWorkflowIdOf(id)}: ${user}\n`);
      }),
    );

  withApiOptions(incident.command('resolve <id>'))
    .description('Resolve the incident: runs the runbook’s post-incident steps (summary, retrospective, archive)')
    .option('--summary <text>', 'what happened and what fixed it')
    .option('--as <user>', 'who resolved it (Slack user ID)')
    .action((id: string, opts: ApiOptions & { summary?: string; as?: string }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        if (api) await api.resolveIncident(id, opts.as, opts.summary);
        else await overTemporal((service) => service.resolve(id, opts.as, opts.summary, operator()));
        process.stdout.write(`Resolving ${incidentWorkflowIdOf(id)}\n`);
      }),
    );

  const task = incident.command('task').description("The incident's action items: add, close, list");
  const taskRequest = (id: string, request: TaskRequest, opts: ApiOptions): Promise<ActionItem> => {
    const api = SignalroomApi.fromEnvironment(opts);
    return api ? api.incidentTask(id, request) : overTemporal((service) => service.task(id, { ...request, caller: operator() }));
  };
  withApiOptions(task.command('add <id> <text>'))
    .description('Add an action item: posted in the incident channel with a Done button (needs a running worker)')
    .option('--owner <who>', 'who owns it: Slack user ID, @handle or email')
    .option('--as <user>', 'who added it (Slack user ID or name)')
    .action((id: string, text: string, opts: ApiOptions & { owner?: string; as?: string }) =>
      run(async () => {
        const item = await taskRequest(id, { action: 'add', text, owner: opts.owner, by: opts.as }, opts);
        process.stdout.write(`Action item #${item.id} added to ${incidentWorkflowIdOf(id)}\n`);
      }),
    );
  withApiOptions(task.command('done <id> <item>'))
    .description('Close an action item by its number')
    .option('--as <user>', 'who closed it (Slack user ID or name)')
    .action((id: string, item: string, opts: ApiOptions & { as?: string }) =>
      run(async () => {
        const n = Number(item.replace(/^#/, ''));
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`"${item}" is not an action item number like 2`);
        const closed = await taskRequest(id, { action: 'done', item: n, by: opts.as }, opts);
        process.stdout.write(`Action item #${closed.id} done\n`);
      }),
    );
  withApiOptions(task.command('list <id>'))
    .description("List the incident's action items, open first")
    .option('--json', 'print them as JSON')
    .action((id: string, opts: ApiOptions & { json?: boolean }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        const items = api ? await api.incidentTasks(id) : await overTemporal((service) => service.tasks(id));
        if (opts.json) return void process.stdout.write(`${JSON.stringify(items)}\n`);
        const sorted = [...items].sort((a, b) => (a.status === b.status ? a.id - b.id : a.status === 'open' ? -1 : 1));
        const lines = sorted.map((i) => `#${i.id} [${i.status === 'open' ? ' ' : 'x'}] ${i.text}${i.owner ? ` (owner ${i.owner})` : ''}${i.doneBy ? ` — done by ${i.doneBy}` : ''}`);
        process.stdout.write(`${lines.length ? lines.join('\n') : 'No action items'}\n`);
      }),
    );

  withApiOptions(incident.command('postmortem <id>'))
    .description("Print the incident's postmortem as Markdown, from its own record (timeline, decisions, action items, durations)")
    .action((id: string, opts: ApiOptions) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        const markdown = api ? await api.incidentPostmortem(id) : await overTemporal((service) => service.postmortem(id));
        process.stdout.write(markdown.endsWith('\n') ? markdown : `${markdown}\n`);
      }),
    );

  withApiOptions(incident.command('status <id>'))
    .description('Show the incident’s state and timeline (the incident id, or its workflow id)')
    .option('--json', 'print the state as JSON')
    .action((id: string, opts: ApiOptions & { json?: boolean }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        const state = api ? await api.incident(id) : await overTemporal((service) => service.state(id));
        process.stdout.write(opts.json ? `${JSON.stringify(state)}\n` : `${describeIncident(state).join('\n')}\n`);
      }),
    );
}

/** `runbook list`: the runbooks the incident commands can open, beside the runbook commands (validate, schema) registered before. */
export function registerRunbookListCommand(program: Command): void {
  const runbook = program.commands.find((c) => c.name() === 'runbook') ?? program.command('runbook').description('Runbook files');
  runbook
    .command('list')
    .description('List the valid runbooks in the configured folders (runbooks.dirs); invalid files are reported as file:line:column field: message and exit 1')
    .option('--runbooks-dir <dir>', 'read this folder instead of runbooks.dirs (repeatable)', collect)
    .option('--json', 'print the runbooks and problems as JSON')
    .action(async (opts: { runbooksDir?: string[]; json?: boolean }) => {
      const catalog = await onDemand.incidentsService().loadRunbookCatalog(runbookDirs(opts.runbooksDir));
      const runbooks = [...catalog.runbooks.values()].map((r) => ({
        name: r.name,
        description: r.description,
        inputs: r.inputs,
        steps: r.steps.length,
        onUpdate: r.onUpdate.length,
        onResolve: r.onResolve.length,
        reminders: Boolean(r.reminders),
      }));
      if (opts.json) process.stdout.write(`${JSON.stringify({ runbooks, problems: catalog.problems })}\n`);
      else {
        const width = Math.max(4, ...runbooks.map((r) => r.name.length));
        for (const r of runbooks) process.stdout.write(`${r.name.padEnd(width)}  ${r.description ?? ''}\n`);
        for (const p of catalog.problems) process.stderr.write(`${located(p)}\n`);
      }
      process.exitCode = catalog.problems.length ? EXIT_INCIDENT_REFUSED : 0;
    });
}

function incidentWorkflowIdOf(id: string): string {
  return id.startsWith('incident-') ? id : incidentWorkflowId(id);
}
