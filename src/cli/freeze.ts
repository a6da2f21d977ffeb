/**
 * `signalroom freeze create|list|end`: freeze windows (README, "Freeze
 * windows"), straight against Temporal or, with `--api`, through the HTTP
 * API. Both ways check the request with the same schema and rules
 * (src/freezes/request.ts) and print the same lines.
 *
 * Exit codes: 0 done · 5 refused or failed (no such freeze, one already
 * ended, a name that is on with another request, a token without the
 * permission, Temporal or the server unreachable) · 64 bad usage (a missing
 * or malformed option, a request the rules refuse: a bad zone, cron or time,
 * a window too long or too frequent).
 */
import type { Command } from 'commander';
import { ApiCallError, ApiUsageError, SignalroomApi, withApiOptions } from './api-client';
import { onDemand } from './on-demand';
import { cliOperator } from '../approvals/port';
import { FreezeInvalid } from '../freezes/errors';
import { describeFreeze } from '../freezes/describe';
import type { FreezeService, FreezeView } from '../freezes/service';
import { parseFreezeRequest } from '../freezes/request';
import { FREEZE_LIMITS } from '../../core/holds/freeze';
import { USER_ID } from '../../core/slack/mrkdwn';

export const EXIT_FREEZE_ERROR = 5;
export const EXIT_FREEZE_USAGE = 64;

class UsageError extends Error {}

/** The request's fields as this command's options name them. */
const OPTION_OF: Record<string, string> = { timeZone: 'tz' };
const FIELDS = /(^|; )(name|stages|services|reason|timeZone|from|until|cron|duration): /g;
const asOptions = (message: string) => message.replace(FIELDS, (_m, lead: string, field: string) => `${lead}--${OPTION_OF[field] ?? field}: `);

async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    // A request the rules refuse is bad usage, whichever side refused it (here, or the server's 400 and 422).
    const usage = err instanceof UsageError || err instanceof ApiUsageError || err instanceof FreezeInvalid || (err instanceof ApiCallError && (err.status === 400 || err.status === 422));
    process.stderr.write(`signalroom freeze: ${usage ? asOptions(err instanceof ApiCallError ? err.detail : (err as Error).message) : (err as Error).message}\n`);
    process.exitCode = usage ? EXIT_FREEZE_USAGE : EXIT_FREEZE_ERROR;
  }
}

interface ApiOptions {
  api?: string | boolean;
  token?: string;
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

function withTemporal<T>(fn: (service: FreezeService) => Promise<T>): Promise<T> {
  const { FreezeService } = onDemand.freezesService();
  return onDemand.temporal().withTemporalClient((client) => fn(new FreezeService(client, onDemand.env().readEnv().SIGNALROOM_TASK_QUEUE)));
}

/** Who writes straight against Temporal: `--as`, a Slack user id, with the operator (user@host) on the record. */
function person(as: string | undefined, what: string): string {
  if (!as) throw new UsageError(`--as USER is required: the Slack user id (U0123ABCD) who ${what} the freeze`);
  if (!USER_ID.test(as)) throw new UsageError(`--as must be a Slack user id like U0123ABCD, got "${as}"`);
  return as;
}

const print = (view: FreezeView) => process.stdout.write(`${describeFreeze(view).join('\n')}\n`);

export function registerFreezeCommands(program: Command): void {
  const freeze = program.command('freeze').description('Freeze windows: hold deploys of stages and services for a one-off or recurring window, in a time zone');

  withApiOptions(freeze.command('create'))
    .description('Create a freeze: --from/--until for a one-off window, or --cron/--duration for a recurring one, read in --tz')
    .requiredOption('--name <name>', 'its name (lowercase, digits, dashes): the workflow is freeze:<name>')
    .option('--stages <list>', 'stages it holds, comma-separated or repeated (* for any)', list)
    .option('--services <list>', 'services it holds, comma-separated or repeated (* for any)', list)
    .option('--from <time>', 'one-off: when it starts, like 2027-11-27T00:00 (in --tz) or with an offset; recurring: no window before it')
    .option('--until <time>', 'one-off: when it ends; recurring: no window past it')
    .option('--tz <zone>', 'the IANA time zone of its times, cron and listing, like Europe/Berlin (default UTC; required for --cron)')
    .option('--cron <expression>', 'recurring: a 5-field cron expression in --tz, like "0 22 * * *"')
    .option('--duration <duration>', 'recurring: how long each window holds on the wall clock, like 8h or 2d')
    .option('--reason <text>', 'why (shown on every approval it holds)')
    .option('--as <user>', 'straight against Temporal: the Slack user id creating it (through --api: the token\'s own user)')
    .option('--json', 'print the freeze as JSON')
    .action((opts: ApiOptions & { name: string; stages?: string[]; services?: string[]; from?: string; until?: string; tz?: string; cron?: string; duration?: string; reason?: string; as?: string; json?: boolean }) =>
      run(async () => {
        const fields = Object.fromEntries(
          Object.entries({ name: opts.name, stages: opts.stages, services: opts.services, from: opts.from, until: opts.until, timeZone: opts.tz, cron: opts.cron, duration: opts.duration, reason: opts.reason }).filter(([, v]) => v !== undefined),
        );
        const api = SignalroomApi.fromEnvironment(opts);
        let result: { created: boolean; freeze: FreezeView };
        if (api) {
          if (opts.as) throw new UsageError('--as: through the API a freeze is created as the token\'s own Slack user (slackUser)');
          result = await api.createFreeze(fields);
        } else {
          const createdBy = person(opts.as, 'creates');
          const input = parseFreezeRequest(fields, { createdBy, caller: { operator: cliOperator() } }, Date.now());
          result = await withTemporal((service) => service.create(input));
        }
        if (opts.json) return void process.stdout.write(`${JSON.stringify(result.freeze)}\n`);
        process.stdout.write(`Freeze ${result.freeze.name} ${result.created ? 'created' : 'was already on with this request'}: workflow ${result.freeze.workflowId}\n`);
        print(result.freeze);
      }),
    );

  withApiOptions(freeze.command('list'))
    .description('List the freezes on now: status, what they hold, the current and next window in UTC and in their zone')
    .option('--all', 'ended freezes too (while Temporal keeps them)')
    .option('--json', 'print them as JSON')
    .action((opts: ApiOptions & { all?: boolean; json?: boolean }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        const views = api ? await api.freezes(Boolean(opts.all)) : await withTemporal((service) => service.list({ all: opts.all }));
        if (opts.json) return void process.stdout.write(`${JSON.stringify(views)}\n`);
        if (!views.length) return void process.stdout.write(opts.all ? 'No freezes\n' : 'No freezes are on\n');
        for (const view of views) print(view);
      }),
    );

  withApiOptions(freeze.command('end <name>'))
    .description('End a freeze now: its hold is lifted before this returns')
    .option('--reason <text>', 'why it ends early')
    .option('--as <user>', 'straight against Temporal: the Slack user id ending it (through --api: the token\'s own user)')
    .option('--json', 'print the freeze as JSON')
    .action((name: string, opts: ApiOptions & { reason?: string; as?: string; json?: boolean }) =>
      run(async () => {
        const api = SignalroomApi.fromEnvironment(opts);
        let view: FreezeView;
        if (api) {
          if (opts.as) throw new UsageError('--as: through the API a freeze is ended as the token\'s own Slack user (slackUser)');
          view = await api.endFreeze(name, opts.reason);
        } else {
          const by = person(opts.as, 'ends');
          if (opts.reason && opts.reason.length > FREEZE_LIMITS.reason) throw new UsageError(`--reason: at most ${FREEZE_LIMITS.reason} characters`);
          view = await withTemporal((service) => service.end(name, { by, ...(opts.reason ? { reason: opts.reason } : {}), caller: { operator: cliOperator() } }));
        }
        if (opts.json) return void process.stdout.write(`${JSON.stringify(view)}\n`);
        process.stdout.write(`Freeze ${view.name} ended: its hold is lifted\n`);
        print(view);
      }),
    );
}
