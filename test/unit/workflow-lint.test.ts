import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The determinism boundary is enforced by lint, not by review: run the
// project's own eslint exactly as `npm test` does, on code given on stdin.
const root = path.resolve(__dirname, '../..');
function lintAs(file: string, code: string): string[] {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', file, '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(r.stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the lint rule for workflows/', () => {
  test.each([
    ["import fs from 'fs';", 'Node builtins'],
    ["import { readFile } from 'node:fs/promises';", 'Node builtins'],
    ["import { WebClient } from '@slack/web-api';", 'I/O libraries'],
    ["import { Client } from '@temporalio/client';", 'I/O libraries'],
  ])('fails `%s` under workflows/', (code, why) => {
    expect(lintAs('workflows/example.ts', `${code}\nexport const x = 1;\n`).join('\n')).toContain(why);
  });

  test('allows the same import outside workflows/', () => {
    expect(lintAs('activities/example.ts', "import fs from 'fs';\nexport const x = fs;\n")).toEqual([]);
  });

  test('allows @temporalio/workflow under workflows/', () => {
    expect(lintAs('workflows/example.ts', "import { sleep } from '@temporalio/workflow';\nexport const x = sleep;\n")).toEqual([]);
  });
});
