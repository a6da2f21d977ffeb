// The project's TypeScript sources run through tsx's CommonJS hook, so a clone
// works without a build step. Every entry point requires this file instead of
// `tsx/cjs` directly.
//
// tsx also takes over Node's `.js` loader, to turn ES modules into CommonJS:
// to tell them apart it lexes every .js file it loads, node_modules included,
// which measured about a fifth of a command's start. A package that is not
// `"type": "module"` is CommonJS as Node compiles it, so its files go to
// Node's own loader; if one turns out to hold import/export syntax anyway,
// Node refuses it before running any of it and tsx converts it as before.
const fs = require('node:fs');
const path = require('node:path');

const nodeJs = require.extensions['.js'];
require('tsx/cjs');
const tsxJs = require.extensions['.js'];

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const ESM_SYNTAX = /Cannot use import statement outside a module|Unexpected token 'export'/;
const typeOfDir = new Map();

/** The `type` of the package a folder belongs to (its nearest package.json), as Node reads it. */
function packageType(dir) {
  let type = typeOfDir.get(dir);
  if (type !== undefined) return type;
  try {
    type = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).type ?? 'commonjs';
  } catch {
    const up = path.dirname(dir);
    type = up === dir ? 'commonjs' : packageType(up);
  }
  typeOfDir.set(dir, type);
  return type;
}

require.extensions['.js'] = function loadJs(module, filename) {
  if (filename.includes(NODE_MODULES) && packageType(path.dirname(filename)) !== 'module') {
    try {
      return nodeJs(module, filename);
    } catch (err) {
      if (!(err instanceof SyntaxError && ESM_SYNTAX.test(err.message))) throw err;
    }
  }
  return tsxJs(module, filename);
};
