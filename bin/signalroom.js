#!/usr/bin/env node
// The published entry point: TypeScript sources run through tsx (see
// typescript.js) so that a clone works without a separate build step.
require('./typescript');
require('../src/cli/main.ts')
  .main(process.argv)
  .then((code) => process.exit(code));
