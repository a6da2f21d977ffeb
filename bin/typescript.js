// The project's TypeScript sources run through tsx's CommonJS hook, so a clone
// works without a build step. Every entry point requires this file instead of
// `tsx/cjs` directly.
//
// tsx also takes over Node's `.js` loader, to turn ES modules into CommonJS:
// to tell them apart it lexes every .js file it loads, node_modules included,
// which measured about a fifth of a command's start. A package that is not
// `"type": "module"` goes to Node's own loader instead: CommonJS as Node
// compiles it, and from Node 20.19 (package.json `engines`) an untyped file
// with import/export syntax is detected and loaded by Node itself. Packages
// that say `"type": "module"`, and the project's own files, go to tsx as before.
const fs = require('node:fs');
const path = require('node:path');

const nodeJs = require.extensions['.js'];
require('tsx/cjs');
const tsxJs = require.extensions['.js'];

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
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

// An ES-module package (`"type": "module"`, e.g. @octokit/webhooks) goes to Node's own loader too
// where Node can require ES modules (process.features.require_module: Node 20.19, 22.12 and later):
// Node then loads it as the ES module it is, and its own imports resolve as ES imports do (some
// packages, like @octokit/webhooks-methods, export their Node build under `import` only, which a
// CommonJS translation's require() cannot resolve).
const nodeRequiresEsm = process.features.require_module === true;

require.extensions['.js'] = function loadJs(module, filename) {
  const loader = filename.includes(NODE_MODULES) && (nodeRequiresEsm || packageType(path.dirname(filename)) !== 'module') ? nodeJs : tsxJs;
  return loader(module, filename);
};
