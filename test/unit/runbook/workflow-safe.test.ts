import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The incident workflow imports these modules, so they must pass the
// workflows/ lint rules (no Node builtins, no I/O libraries such as yaml, no
// zod: each cached workflow evaluates what its bundle loads once more).
const root = path.resolve(__dirname, '../../..');
function restrictedImportsAsWorkflowCode(module: string): string[] {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', `workflows/${module}`, '--format', 'json'], {
    cwd: root,
    input: readFileSync(path.join(root, 'src/runbook', module), 'utf8'),
    encoding: 'utf8',
  });
  const [result] = JSON.parse(r.stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('the runbook modules workflows use', () => {
  test.each(['types.ts', 'template.ts', 'condition.ts', 'duration.ts', 'index.ts'])('%s passes the workflows/ import rule', (module) => {
    expect(restrictedImportsAsWorkflowCode(module)).toEqual([]);
  });

  test('validate.ts (yaml) and load.ts (fs) would not, so index.ts does not export them', () => {
    expect(restrictedImportsAsWorkflowCode('validate.ts').join('\n')).toContain('I/O libraries');
    expect(restrictedImportsAsWorkflowCode('load.ts').join('\n')).toContain('Node builtins');
  });
});

describe('the step kinds the incident workflow bundles', () => {
  const kinds = readdirSync(path.join(root, 'src/runbook/steps')).filter((f) => f.endsWith('.ts') && f !== 'syntax.ts');

  test.each(kinds)('steps/%s passes the workflows/ import rules', (module) => {
    expect(restrictedImportsAsWorkflowCode(`steps/${module}`)).toEqual([]);
  });

  test('steps/syntax.ts (zod) would not, so a kind imports only its type', () => {
    expect(restrictedImportsAsWorkflowCode('steps/syntax.ts').join('\n')).toContain('must not load zod');
  });
});
