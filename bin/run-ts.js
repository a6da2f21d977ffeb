#!/usr/bin/env node
// Runs a TypeScript file of the project (bench scripts, tools): node bin/run-ts.js FILE [args]
require('./typescript');
const path = require('node:path');
const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js FILE [args...]');
  process.exit(64);
}
process.argv.splice(1, 2, path.resolve(file));
require(path.resolve(file));
