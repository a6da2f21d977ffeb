/**
 * The `signalroom` command. Each subcommand lives in its own module; this
 * file only wires them to commander.
 *
 * Exit codes: 0 success; 64 bad usage; 69 Temporal or the Signalroom API
 * could not be reached; 70 internal error; 78 an invalid configuration (the
 * message names file, line and field); subcommands that report an outcome
 * (approvals) document their own codes in their --help.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { obtainTemporalCli } from '../temporal/cli-binary';
import { Unreachable } from '../errors';

// A command loads only what it runs. The long-running commands (dev, worker,
// server, sandbox, doctor) load their modules when they run: the Temporal
// worker, Fastify and the sandbox take most of a second to load, and every
// `approval`/`incident` call in a pipeline would pay for them. CommonJS
// `require`, not `import()`: the sources run through tsx's CommonJS hook,
// which a dynamic import would bypass.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(id: string): T => require(id) as T;

/**
 * The command groups, each a module of subcommands. A command line that names
 * one registers only that one: `signalroom approval …` in a pipeline loads
 * neither the runbook parser nor the PostgreSQL driver. Help, and any other
 * command, registers them all, so the listing and the suggestions are whole.
 */
const COMMAND_GROUPS: Record<string, () => (program: Command) => void> = {
  approval: () => load<typeof import('./approval')>('./approval').registerApprovalCommands,
  runbook: () => (program) => {
    load<typeof import('./runbook')>('./runbook').registerRunbookCommands(program);
    load<typeof import('./incident')>('./incident').registerRunbookListCommand(program);
  },
  incident: () => load<typeof import('./incident')>('./incident').registerIncidentCommands,
  review: () => load<typeof import('./review')>('./review').registerReviewCommands,
  cluster: () => load<typeof import('./cluster')>('./cluster').registerClusterCommands,
  github: () => load<typeof import('./github')>('./github').registerGitHubCommands,
  freeze: () => load<typeof import('./freeze')>('./freeze').registerFreezeCommands,
};

export const EXIT_USAGE = 64;
/** sysexits' EX_UNAVAILABLE: not a fault of Signalroom's, so a script can retry. */
export const EXIT_UNAVAILABLE = 69;
export const EXIT_INTERNAL = 70;
/** sysexits' EX_CONFIG: the configuration is wrong, and the message says where. */
export const EXIT_CONFIG = 78;

/** @param argv the whole command line (`process.argv`); without it every command is registered. */
export function buildProgram(argv?: string[]): Command {
  const named = argv?.[2];
  const groups = named !== undefined && Object.hasOwn(COMMAND_GROUPS, named) ? [named] : Object.keys(COMMAND_GROUPS);

  const program = new Command('signalroom')
    .description('Durable incident runbooks and deployment approvals through Slack, on Temporal.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('dev')
    .description('Run the whole stack on embedded defaults: Temporal dev server, worker, HTTP server (what `npm start` runs)')
    .option('--port <port>', 'HTTP server port (env PORT)', parsePort)
    .option('--ui-port <port>', 'Temporal Web UI port (env TEMPORAL_UI_PORT)', parsePort)
    .option('--temporal-port <port>', 'Temporal dev server gRPC port (env TEMPORAL_DEV_PORT)', parsePort)
    .option('--data-dir <dir>', 'where the dev server keeps its SQLite history (env SIGNALROOM_DATA_DIR)')
    .option('--sandbox-port <port>', 'Slack sandbox port, used when no Slack is configured (env SANDBOX_PORT)', parsePort)
    .option('--temporal-http-api', "let the Temporal dev server's HTTP API answer (off: a web page could signal workflows through it)")
    .action((opts) => load<typeof import('./dev')>('./dev').runDevStack(opts));

  program
    .command('temporal-cli')
    .description('Find or build the pinned Temporal CLI and print its path')
    .action(async () => {
      const cli = await obtainTemporalCli();
      process.stdout.write(`${cli}\n`);
    });

  program
    .command('worker')
    .description('Run only the worker, against the Temporal cluster named by TEMPORAL_ADDRESS (scale out by running several)')
    .option('--metrics-port <port>', 'serve Prometheus metrics (Temporal SDK and Slack calls) at /metrics on this port (env SIGNALROOM_WORKER_METRICS_PORT)', parseListenPort)
    .option('--metrics-host <address>', 'the address the metrics listen on (0.0.0.0: every interface, e.g. inside a container network)', '127.0.0.1')
    .action((opts) => load<typeof import('./worker')>('./worker').runWorker(opts));

  program
    .command('server')
    .description('Run only the HTTP server (Slack Request URL, /api/v1, /healthz, /readyz, /metrics) against the Temporal cluster from the environment')
    .option('--port <port>', 'HTTP server port (env PORT)', parsePort)
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .action((opts) => load<typeof import('./server')>('./server').runServer(opts));

  program
    .command('doctor')
    .description('Check every Slack integration: token, scopes, signing secret, Request URL. Exit 1 on any problem')
    .option('--url <url>', 'public base URL of the server, to check the Request URL answers')
    .option('--json', 'print the checks as JSON')
    .action(async (opts) => {
      process.exitCode = await load<typeof import('./doctor-command')>('./doctor-command').doctorCommand(opts);
    });

  program
    .command('manifest')
    .description('Print a Slack app manifest (YAML) with the bot scopes, Request URL and OAuth redirect URL')
    .requiredOption('--url <url>', 'public https base URL of the Signalroom server')
    .option('--name <name>', 'the app name shown in Slack', 'Signalroom')
    .action((opts) => {
      const manifest = load<typeof import('./manifest')>('./manifest');
      try {
        process.stdout.write(manifest.renderManifest(opts.url, opts.name));
      } catch (err) {
        if (!(err instanceof manifest.ManifestUrlError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 64;
      }
    });

  for (const group of groups) COMMAND_GROUPS[group]()(program);

  program
    .command('setup')
    .description("Register Signalroom's search attributes on the Temporal cluster from the environment (idempotent)")
    .action(async () => {
      const client = await load<typeof import('../temporal/connection')>('../temporal/connection').connectClient();
      try {
        const { registerSearchAttributes } = load<typeof import('../temporal/setup')>('../temporal/setup');
        const report = await registerSearchAttributes(client.connection, client.options.namespace);
        process.stdout.write(`Search attributes on ${client.options.namespace}: added ${report.added.join(', ') || 'none'}; already present ${report.present.length}\n`);
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('install-link')
    .description('Print a one-time link that starts "Connect Slack" (the OAuth install of the organization integration); single-use, expires')
    .option('--ttl <minutes>', 'minutes the link stays valid', parseMinutes, 15)
    .option('--json', 'print the URL and expiry as one JSON line')
    .action(async (opts) => {
      process.exitCode = await load<typeof import('./install-link')>('./install-link').runInstallLinkCommand({ ttlMinutes: opts.ttl, json: opts.json });
    });

  program
    .command('sandbox')
    .description('Run the Slack sandbox alone (a strict local Slack: Web API, page, interactivity, OAuth) and print its URLs, bot token and signing secret')
    .option('--port <port>', 'port to listen on (0: a free port)', parsePort, 0)
    .option('--json', 'print the URLs, token and secret as one JSON line')
    .option('--request-url <url>', "the app's interactivity Request URL, where clicks and modal submissions are POSTed")
    .option('--no-rate-limits', "turn off Slack's rate limits")
    .action((opts) => load<typeof import('./sandbox')>('./sandbox').runSandboxCommand(opts));

  program
    .command('github-standin')
    .description("Run the GitHub stand-in alone (a strict local GitHub for a GitHub App's deployment protection rule) and print its URL and the App's id, private key file and webhook secret")
    .option('--port <port>', 'port to listen on (0: a free port)', parsePort, 0)
    .option('--json', 'print the URLs, the App and its secrets as one JSON line')
    .option('--webhook-url <url>', "the App's webhook URL, where deliveries are POSTed (Signalroom's …/github/webhooks)")
    .option('--repo <owner/name>', 'a repository the App is installed on (repeatable; default octo-org/web)', (v: string, all: string[] = []) => [...all, v])
    .option('--app-id <id>', 'the App id', parsePositiveInt)
    .option('--installation-id <id>', 'the installation id', parsePositiveInt)
    .option('--private-key <file>', "the App's private key (PEM), to keep the same App across restarts; default a new key in a private temporary file")
    .option('--webhook-secret <secret>', 'the webhook secret (env GITHUB_WEBHOOK_SECRET); default a random one')
    .action((opts) => load<typeof import('./github-standin')>('./github-standin').runGitHubStandInCommand(opts));

  return program;
}

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 24 * 60) throw new InvalidArgumentError(`not a number of minutes between 1 and 1440: ${value}`);
  return n;
}

function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`not a positive integer: ${value}`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`not a port number: ${value}`);
  return n;
}

/** A port others scrape: 0 (a random free port) would leave them guessing. */
function parseListenPort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`not a port number between 1 and 65535: ${value}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram(argv).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(`signalroom: ${(err as Error).message}\n`);
    if ((err as { code?: unknown }).code === 'invalid_config') return EXIT_CONFIG;
    return err instanceof Unreachable ? EXIT_UNAVAILABLE : EXIT_INTERNAL;
  }
}
