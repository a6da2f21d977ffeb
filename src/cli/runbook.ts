/**
 * `signalroom runbook …`: check runbook files before they run, and print the
 * JSON Schema editors use to autocomplete them.
 *
 * `validate` exits 0 when every file is valid, 1 when any has a problem.
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadRunbookDir, loadRunbookFile, type LoadedRunbookFile } from '../runbook/load';
import { runbookJsonSchema } from '../../core/runbook/schema';
import { formatProblem } from '../../core/runbook/validate';

export const EXIT_RUNBOOK_INVALID = 1;

/** Validates files (a folder means every runbook in it); returns what to print and the exit code. */
export async function validateRunbooks(paths: string[], json: boolean): Promise<{ output: string; exitCode: number }> {
  const results: LoadedRunbookFile[] = [];
  for (const p of paths) {
    const isDir = await stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isDir) {
      const dir = await loadRunbookDir(p);
      if (dir.files.length === 0) results.push({ file: p, problems: dir.problems.length ? dir.problems : [{ file: p, line: 0, column: 0, field: '(file)', message: 'no runbook files (*.yaml, *.yml) in this folder' }] });
      // Duplicate names across the folder are reported on the file that repeats one.
      for (const f of dir.files) results.push({ ...f, problems: dir.problems.filter((pr) => pr.file === f.file) });
    } else results.push(await loadRunbookFile(p));
  }
  const valid = results.every((r) => r.problems.length === 0);
  const output = json
    ? `${JSON.stringify(
        {
          valid,
          files: results.map((r) => ({
            file: r.file,
            valid: r.problems.length === 0,
            ...(r.runbook && r.problems.length === 0 && { runbook: r.runbook.name }),
            problems: r.problems,
          })),
        },
        null,
        2,
      )}\n`
    : results.map((r) => (r.problems.length ? r.problems.map(formatProblem).join('\n') : `ok ${r.file}`)).join('\n') + '\n';
  return { output, exitCode: valid ? 0 : EXIT_RUNBOOK_INVALID };
}

export function registerRunbookCommands(program: Command): void {
  const runbook = program.command('runbook').description('Check runbook files and print their JSON Schema');

  runbook
    .command('validate')
    .description('Validate runbook files (or folders of them): prints file:line:column field: message per problem, "ok FILE" per valid file; exit 1 on any problem')
    .argument('<files...>', 'runbook files or folders')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const { output, exitCode } = await validateRunbooks(files, Boolean(opts.json));
      process.stdout.write(output);
      process.exitCode = exitCode;
    });

  runbook
    .command('schema')
    .description('Print the JSON Schema for runbook files (committed as runbooks/runbook.schema.json)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(runbookJsonSchema(), null, 2)}\n`);
    });
}
