/**
 * The project's own eslint, run on texts as if each were the named file
 * (`eslint --stdin --stdin-filename` does the same for one text). One eslint
 * process lints them all: eslint and its typed configuration take seconds to
 * load, so a process per text would spend most of a test file's time starting.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

const LINT_TEXTS = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const { file, code } of JSON.parse(input)) out.push((await eslint.lintText(code, { filePath: file }))[0].messages);
  process.stdout.write(JSON.stringify(out));
});
`;

export interface LintText {
  /** Where the text would live, relative to the project's root: it decides which rules apply. */
  file: string;
  code: string;
}

/** For each text, in order, the messages of the import rules (`no-restricted-imports`, plain and typed). */
export function restrictedImportMessages(texts: LintText[]): string[][] {
  const r = spawnSync(process.execPath, ['-e', LINT_TEXTS], { cwd: root, input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`eslint failed (exit ${r.status}): ${r.stderr}`);
  const results = JSON.parse(r.stdout) as Array<Array<{ ruleId: string | null; message: string }>>;
  return results.map((messages) =>
    messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message),
  );
}
