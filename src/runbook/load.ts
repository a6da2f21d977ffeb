/**
 * Reads runbook files from disk: the only runbook module doing I/O.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Runbook } from '../../core/runbook/types';
import { parseRunbook, type ParseResult, type Problem } from '../../core/runbook/validate';

/** Runbook files are YAML. */
export const RUNBOOK_FILE = /\.ya?ml$/i;

export interface LoadedRunbookFile extends ParseResult {
  /** The path as given. */
  file: string;
}

export interface LoadedRunbookDir {
  /** The valid runbooks, by name. */
  runbooks: Map<string, Runbook>;
  /** Every file read, in name order. */
  files: LoadedRunbookFile[];
  /** Problems of all files, plus duplicate runbook names. */
  problems: Problem[];
}

/** Reads and validates one runbook file. A file that cannot be read is a problem, not an exception. */
export async function loadRunbookFile(file: string): Promise<LoadedRunbookFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a folder, not a runbook file' : `cannot read the file (${e.code ?? e.message})`;
    return { file, problems: [{ file, line: 0, column: 0, field: '(file)', message }] };
  }
  return { file, ...parseRunbook(text, file) };
}

/** Reads every `*.yaml` / `*.yml` runbook in a folder (not recursively). */
export async function loadRunbookDir(dir: string): Promise<LoadedRunbookDir> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && RUNBOOK_FILE.test(e.name)).map((e) => e.name).sort();
  } catch (err) {
    const problem: Problem = { file: dir, line: 0, column: 0, field: '(file)', message: `cannot read the runbook folder (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    return { runbooks: new Map(), files: [], problems: [problem] };
  }
  const files = await Promise.all(names.map((name) => loadRunbookFile(path.join(dir, name))));
  const runbooks = new Map<string, Runbook>();
  const problems: Problem[] = files.flatMap((f) => f.problems);
  for (const f of files) {
    if (!f.runbook) continue;
    const other = runbooks.get(f.runbook.name);
    if (other) {
      const first = files.find((g) => g.runbook === other)!.file;
      problems.push({ file: f.file, line: 1, column: 1, field: 'name', message: `runbook name "${f.runbook.name}" is already used by ${first}` });
      continue;
    }
    runbooks.set(f.runbook.name, f.runbook);
  }
  return { runbooks, files, problems };
}
