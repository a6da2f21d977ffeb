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

export const workflowImportRule = [
  'error',
  {
    paths: nodeBuiltins.map((name) => ({
      name,
      message: 'workflows/ must stay deterministic: Node builtins belong in activities/.',
    })),
    patterns: [
      { group: ['node:*'], message: 'workflows/ must stay deterministic: Node builtins belong in activities/.' },
      { group: ioLibraries, message: 'workflows/ must stay deterministic: I/O libraries belong in activities/ or src/.' },
      {
        group: ['**/src/slack/client*', '**/src/server/**', '**/src/cli/**', '**/src/sandbox/**', '**/src/config/load*', '**/src/store/**'],
        message: 'workflows/ may import only pure modules: this one does I/O.',
      },
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
    // The step kinds are bundled with the incident workflow (their `run`); steps/syntax.ts is the parser's.
    files: ['workflows/**/*.ts', 'src/runbook/steps/**/*.ts'],
    ignores: ['src/runbook/steps/syntax.ts'],
    rules: { 'no-restricted-imports': workflowImportRule, '@typescript-eslint/no-restricted-imports': workflowZodRule },
  },
);
