/**
 * The `signalroom` command. Each subcommand lives in its own module; this
 * file only wires them to commander.
 *
 * Exit codes: 0 success; 64 bad usage; 70 internal error; subcommands that
 * report an outcome (approvals) document their own codes in their --help.
 */
import { Command, CommanderError } from 'commander';
import { runDevStack } from './dev';
import { obtainTemporalCli } from '../temporal/cli-binary';

export const EXIT_USAGE = 64;
export const EXIT_INTERNAL = 70;

export function buildProgram(): Command {
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
    .action((opts) => runDevStack(opts));

  program
    .command('temporal-cli')
    .description('Find or build the pinned Temporal CLI and print its path')
    .action(async () => {
      const cli = await obtainTemporalCli();
      process.stdout.write(`${cli}\n`);
    });

  return program;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port number: ${value}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(`signalroom: ${(err as Error).message}\n`);
    return EXIT_INTERNAL;
  }
}
