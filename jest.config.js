/**
 * Five projects, one folder each under test/, each run alone with `npx jest --selectProjects NAME`:
 * - unit: pure code; no Temporal server, no global setup.
 * - integration: the shared Temporal dev server and the Slack sandbox.
 * - browser: pages driven in Chromium, on the same dev server.
 * - reliability: crashes, load, faults, fuzzing and Temporal restarts.
 * - cluster: a multi-node Temporal cluster on PostgreSQL built from source;
 *   `npm test` leaves it out, `npm run test:cluster` (and CI, as its own step) runs it.
 */

const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
  // cookie 2 (under Fastify's inject()) ships only ES modules. Node 22 requires them natively, but jest's
  // CommonJS runtime does not (on Node 22 or 24 without --experimental-vm-modules): compile it to CommonJS.
  '/node_modules/cookie/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  // So do Octokit's packages (@octokit/webhooks, @octokit/auth-app) and what they import (content-type 3).
  '/node_modules/(@octokit|universal-[^/]+|before-after-hook|content-type)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(cookie|@octokit|universal-[^/]+|before-after-hook|content-type)/)'],
  // @octokit/webhooks-methods exports its Node build under the `import` condition only, which jest's
  // CommonJS resolver never matches: point at that build (compiled to CommonJS by the transform above).
  moduleNameMapper: { '^@octokit/webhooks-methods$': '<rootDir>/node_modules/@octokit/webhooks-methods/dist-node/index.js' },
};

/** One Temporal dev server for every project that uses it (jest runs a shared global setup once); workflows bundled once. */
const devServer = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** A project is a folder: where a test file lives says what it needs. */
const inFolder = (folder) => [`<rootDir>/test/${folder}/**/*.test.ts`];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  // Two cores: the dev server, the sandbox and the workers share them with jest.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: inFolder('unit') },
    {
      ...common,
      ...devServer,
      displayName: 'integration',
      testMatch: inFolder('integration'),
    },
    { ...common, ...devServer, displayName: 'browser', testMatch: inFolder('browser') },
    { ...common, ...devServer, displayName: 'reliability', testMatch: inFolder('reliability') },
    // The cluster tests start their own Temporal cluster and PostgreSQL.
    { ...common, displayName: 'cluster', testMatch: inFolder('cluster') },
  ],
};
