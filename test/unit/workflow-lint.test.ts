import { restrictedImportMessages, type LintText } from '../support/lint';

// The determinism boundary is enforced by lint, not by review: the project's
// own eslint configuration, exactly as `npm test` runs it, on texts given as if
// they were files.
const FORBIDDEN: Array<[string, string]> = [
  ["import fs from 'fs';", 'Node builtins'],
  ["import { readFile } from 'node:fs/promises';", 'Node builtins'],
  ["import { WebClient } from '@slack/web-api';", 'I/O libraries'],
  ["import { Client } from '@temporalio/client';", 'I/O libraries'],
];
const TEXTS: LintText[] = [
  ...FORBIDDEN.map(([code]) => ({ file: 'workflows/example.ts', code: `${code}\nexport const x = 1;\n` })),
  { file: 'activities/example.ts', code: "import fs from 'fs';\nexport const x = fs;\n" },
  { file: 'workflows/example.ts', code: "import { sleep } from '@temporalio/workflow';\nexport const x = sleep;\n" },
];
// All texts in one eslint run; each test reads its own text's messages.
let messages: string[][];
beforeAll(() => {
  messages = restrictedImportMessages(TEXTS);
});
const lintAs = (file: string, code: string): string[] => {
  const i = TEXTS.findIndex((t) => t.file === file && t.code === code);
  if (i < 0) throw new Error(`not linted: ${file}`);
  return messages[i];
};

describe('the lint rule for workflows/', () => {
  test.each(FORBIDDEN)('fails `%s` under workflows/', (code, why) => {
    expect(lintAs('workflows/example.ts', `${code}\nexport const x = 1;\n`).join('\n')).toContain(why);
  });

  test('allows the same import outside workflows/', () => {
    expect(lintAs('activities/example.ts', "import fs from 'fs';\nexport const x = fs;\n")).toEqual([]);
  });

  test('allows @temporalio/workflow under workflows/', () => {
    expect(lintAs('workflows/example.ts', "import { sleep } from '@temporalio/workflow';\nexport const x = sleep;\n")).toEqual([]);
  });
});
