import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { restrictedImportMessages } from '../../support/lint';

// The incident workflow imports these modules, so they must pass the
// workflows/ lint rules (no Node builtins, no I/O libraries such as yaml, no
// zod: each cached workflow evaluates what its bundle loads once more).
const root = path.resolve(__dirname, '../../..');
const RUNBOOK_MODULES = ['types.ts', 'template.ts', 'condition.ts', 'duration.ts', 'index.ts', 'validate.ts', 'load.ts'];
const STEP_MODULES = readdirSync(path.join(root, 'core/runbook/steps')).filter((f) => f.endsWith('.ts')).map((f) => `steps/${f}`);

// Each module of the runbook language (core/runbook, and its file loader src/runbook/load.ts), linted as if it were under workflows/: all in one eslint run.
let asWorkflowCode: Map<string, string[]>;
beforeAll(() => {
  const modules = [...RUNBOOK_MODULES, ...STEP_MODULES];
  const messages = restrictedImportMessages(modules.map((m) => ({ file: `workflows/${m}`, code: readFileSync(path.join(root, m === 'load.ts' ? 'src/runbook' : 'core/runbook', m), 'utf8') })));
  asWorkflowCode = new Map(modules.map((m, i) => [m, messages[i]]));
});
function restrictedImportsAsWorkflowCode(module: string): string[] {
  const messages = asWorkflowCode.get(module);
  if (!messages) throw new Error(`${module} was not linted`);
  return messages;
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
  test.each(STEP_MODULES.filter((m) => m !== 'steps/syntax.ts'))('%s passes the workflows/ import rules', (module) => {
    expect(restrictedImportsAsWorkflowCode(module)).toEqual([]);
  });

  test('steps/syntax.ts (zod) would not, so a kind imports only its type', () => {
    expect(restrictedImportsAsWorkflowCode('steps/syntax.ts').join('\n')).toContain('must not load zod');
  });
});
