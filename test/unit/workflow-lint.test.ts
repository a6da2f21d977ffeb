import { restrictedImportMessages, type LintText } from '../support/lint';

// The layers are enforced by lint, not by review (docs/ARCHITECTURE.md,
// "Layers"): the project's own eslint configuration, exactly as `npm test`
// runs it, on texts given as if they were files in each folder.
const FORBIDDEN_IN_WORKFLOWS: Array<[string, string]> = [
  ["import fs from 'fs';", 'Node builtins'],
  ["import { readFile } from 'node:fs/promises';", 'Node builtins'],
  ["import { WebClient } from '@slack/web-api';", 'I/O libraries'],
  ["import { Client } from '@temporalio/client';", 'I/O libraries'],
  ["import { loadConfig } from '../src/config/load';", 'workflows/ imports only the core'],
  ["import { createActivities } from '../activities';", 'import their types only'],
];
const FORBIDDEN_IN_CORE: Array<[string, string]> = [
  ["import fs from 'node:fs';", 'core/ is pure'],
  ["import { WebClient } from '@slack/web-api';", 'I/O libraries'],
  ["import { sleep } from '@temporalio/workflow';", 'no Temporal import'],
  ["import { defineSearchAttributeKey } from '@temporalio/common';", 'no Temporal import'],
  ["import { approval } from '../workflows/approval/workflow';", 'imports nothing of the project outside itself'],
  ["import { loadConfig } from '../src/config/load';", 'imports nothing of the project outside itself'],
  ["import { createActivities } from '../activities';", "the activities' types excepted"],
];
const ALLOWED: LintText[] = [
  { file: 'activities/example.ts', code: "import fs from 'fs';\nexport const x = fs;\n" },
  { file: 'workflows/example.ts', code: "import { sleep } from '@temporalio/workflow';\nexport const x = sleep;\n" },
  { file: 'workflows/example.ts', code: "import { judgeAttempt } from '../core/approval/policy';\nimport type { Activities } from '../activities';\nexport const x = judgeAttempt;\nexport type A = Activities;\n" },
  { file: 'core/example.ts', code: "import { parseDocument } from 'yaml';\nimport type { Activities } from '../activities';\nexport const x = parseDocument;\nexport type A = Activities;\n" },
];
const asText = (file: string) => ([code]: [string, string]): LintText => ({ file, code: `${code}\nexport const x = 1;\n` });
const TEXTS: LintText[] = [...FORBIDDEN_IN_WORKFLOWS.map(asText('workflows/example.ts')), ...FORBIDDEN_IN_CORE.map(asText('core/example.ts')), ...ALLOWED];
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

describe('the lint rule for workflows/: deterministic, and only the core and Temporal', () => {
  test.each(FORBIDDEN_IN_WORKFLOWS)('fails `%s` under workflows/', (code, why) => {
    expect(lintAs('workflows/example.ts', `${code}\nexport const x = 1;\n`).join('\n')).toContain(why);
  });
});

describe('the lint rule for core/: pure, and nothing of the project outside itself', () => {
  test.each(FORBIDDEN_IN_CORE)('fails `%s` under core/', (code, why) => {
    expect(lintAs('core/example.ts', `${code}\nexport const x = 1;\n`).join('\n')).toContain(why);
  });
});

test.each(ALLOWED.map((t) => [t.file, t.code]))('allows, in %s: %s', (file, code) => {
  expect(lintAs(file, code)).toEqual([]);
});
