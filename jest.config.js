/**
 * Five projects, each run alone with `npx jest --selectProjects NAME`:
 * - unit: pure code; no Temporal server, no global setup.
 * - integration: the shared Temporal dev server and the Slack sandbox.
 * - browser: pages driven in Chromium, on the same dev server.
 * - reliability: crashes, load, faults, fuzzing and Temporal restarts.
 * - cluster: a multi-node Temporal cluster on PostgreSQL built from source;
 *   `npm test` leaves it out, `npm run test:cluster` (and CI, as its own step) runs it.
 */

const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
  // cookie 2 (under Fastify's inject()) ships only ES modules, which jest's CommonJS runtime cannot require on Node 20.
  '/node_modules/cookie/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  transform,
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
};

/** One Temporal dev server for every project that uses it (jest runs a shared global setup once); workflows bundled once. */
const devServer = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

const unit = [
  'approvals/policy',
  'config/load',
  'ops/compose',
  'runbook/cli',
  'runbook/condition',
  'runbook/duration',
  'runbook/schema',
  'runbook/seed',
  'runbook/template',
  'runbook/validate',
  'runbook/workflow-safe',
  'sandbox/state',
  'slack/call-metrics',
  'slack/channel-names',
  'unit/details',
  'unit/server-binary',
  'unit/workflow-lint',
].map(inTest);

const browser = ['approvals/browser', 'sandbox/browser', 'ops/temporal-ui'].map(inTest);

const reliability = ['reliability/**/*', 'incidents/crash', 'security/click-flood'].map(inTest);

const cluster = ['cluster/**/*'].map(inTest);

/** Everything else under test/ is an integration test. */
const integration = ['**/test/**/*.test.ts', ...[...unit, ...browser, ...reliability, ...cluster].map((glob) => `!${glob}`)];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  // Two cores: the dev server, the sandbox and the workers share them with jest.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: unit },
    {
      ...common,
      ...devServer,
      displayName: 'integration',
      testMatch: integration,
    },
    { ...common, ...devServer, displayName: 'browser', testMatch: browser },
    { ...common, ...devServer, displayName: 'reliability', testMatch: reliability },
    // The cluster tests start their own Temporal cluster and PostgreSQL.
    { ...common, displayName: 'cluster', testMatch: cluster },
  ],
};

function inTest(name) {
  return `**/test/${name}.test.ts`;
}
