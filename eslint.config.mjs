import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// workflows/ is bundled into Temporal's deterministic sandbox and replayed:
// a Node builtin or an I/O library there is a bug, so it fails the lint.
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);
const ioLibraries = [
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/envconfig',
  '@slack/*',
  'fastify',
  '@fastify/*',
  'pg',
  'pino',
  'yaml',
  'commander',
  'playwright-core',
];

const NODE_BUILTINS = { group: ['node:*'], message: 'must stay deterministic and pure: Node builtins belong in activities/ or src/.' };
const IO_LIBRARIES = { group: ioLibraries, message: 'must stay deterministic and pure: I/O libraries belong in activities/ or src/.' };
const builtinPaths = (message) => nodeBuiltins.map((name) => ({ name, message }));

// The layers, by folder (docs/ARCHITECTURE.md, "Layers"):
// - core/ is the domain: it imports nothing of the project outside itself (the
//   activities' types excepted: they describe what a step may call, and vanish
//   when compiled), no Temporal, no Node builtin, no I/O library.
// - workflows/ is orchestration: it imports the core, @temporalio/workflow and
//   @temporalio/common, and the activities' types for proxyActivities, nothing else.
export const workflowImportRule = [
  'error',
  {
    paths: builtinPaths('workflows/ must stay deterministic: Node builtins belong in activities/.'),
    patterns: [
      { ...NODE_BUILTINS, message: `workflows/ ${NODE_BUILTINS.message}` },
      { ...IO_LIBRARIES, message: `workflows/ ${IO_LIBRARIES.message}` },
      { group: ['**/src/**', '**/src'], message: 'workflows/ imports only the core (core/), Temporal and its own modules: move what it needs from src/ into core/.' },
      { group: ['**/activities/**', '**/activities'], allowTypeImports: true, message: 'workflows/ calls activities through proxyActivities: import their types only.' },
    ],
  },
];

export const coreImportRule = [
  'error',
  {
    paths: builtinPaths('core/ is pure: Node builtins belong in activities/ or src/.'),
    patterns: [
      { ...NODE_BUILTINS, message: `core/ ${NODE_BUILTINS.message}` },
      // yaml only parses text: the runbook language (core/runbook) reads files with it. Workflows still may not load it.
      { group: ioLibraries.filter((l) => l !== 'yaml'), message: `core/ ${IO_LIBRARIES.message}` },
      { group: ['@temporalio/*'], message: 'core/ is pure: no Temporal import (workflows/ holds what needs Temporal).' },
      { group: ['**/src/**', '**/src', '**/workflows/**', '**/workflows'], message: 'core/ imports nothing of the project outside itself.' },
      { group: ['**/activities/**', '**/activities'], allowTypeImports: true, message: 'core/ imports nothing of the project outside itself (the activities\' types excepted).' },
    ],
  },
];

// A module the workflows bundle is evaluated again in every cached
// workflow's context: zod there (the runbook's file syntax) cost about
// 1.5 MiB per incident in the worker. Its types are free.
export const workflowZodRule = [
  'error',
  {
    paths: [{ name: 'zod', allowTypeImports: true, message: 'workflows/ and the step kinds they bundle must not load zod: it would be evaluated in every workflow; a kind builds its schema from steps/syntax.ts.' }],
    patterns: [{ group: ['**/steps/syntax', '**/runbook/schema', '**/runbook/validate'], allowTypeImports: true, message: 'workflows/ and the step kinds they bundle must not load the runbook file syntax (zod): import its types only.' }],
  },
];

/** One rule setting that holds both: a later setting of the same rule replaces an earlier one, it does not add to it. */
function bothRules([level, a], [, b]) {
  return [level, { paths: [...(a.paths ?? []), ...(b.paths ?? [])], patterns: [...(a.patterns ?? []), ...(b.patterns ?? [])] }];
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'test-artifacts/**', '.cache/**', 'data/**', 'src/sandbox/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': bothRules(workflowImportRule, workflowZodRule) },
  },
  {
    files: ['core/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': coreImportRule },
  },
  {
    // The step kinds are bundled with the incident workflow (their `run`); steps/syntax.ts is the parser's.
    files: ['core/runbook/steps/**/*.ts'],
    ignores: ['core/runbook/steps/syntax.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': bothRules(coreImportRule, workflowZodRule) },
  },
);
