/**
 * One thing wrong with a file someone wrote (a runbook, signalroom.yaml):
 * where it is and what to do. One shape and one way of printing it, for the
 * runbook validator and the configuration loader alike. Pure.
 */
export interface FileProblem {
  file: string;
  /** 1-based; 0 when the problem is about the whole file (e.g. it cannot be read). */
  line: number;
  /** 1-based; 0 with line 0. */
  column: number;
  /** Where in the file: `steps[1].Channel`, `approverGroups.release.users.1`, `(syntax)`, `(file)`. */
  field: string;
  message: string;
  /** Set when the problem is a limit the input went past (e.g. `condition_too_complex`), not a mistake in it. */
  limit?: string;
}

/** `file:line:column field: message`, as editors and terminals link it. */
export function formatFileProblem(p: FileProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.field}: ${p.message}`;
}
