/**
 * bin/typescript.js, what every entry point loads first: packages go through
 * Node's own loader (`"type": "module"` ones too, where Node requires ES
 * modules; through tsx elsewhere), and a package that is neither quite one
 * nor the other still loads (Node detects its syntax); an ES-module package
 * whose dependency exports its build under `import` only loads (as
 * @octokit/webhooks and @octokit/webhooks-methods); a module's code runs once,
 * even when it throws.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LOADER = path.resolve(__dirname, '../../bin/typescript.js');
let dir: string;

function pkg(name: string, manifest: object, index: string) {
  const at = path.join(dir, 'node_modules', name);
  mkdirSync(at, { recursive: true });
  writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name, ...('exports' in manifest ? {} : { main: 'index.js' }), ...manifest }));
  writeFileSync(path.join(at, 'index.js'), index);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'signalroom-loader-'));
  pkg('plain-cjs', {}, "module.exports = { kind: 'commonjs' };\n");
  pkg('typed-esm', { type: 'module' }, "export const kind = 'module';\nexport default 'default';\n");
  // No "type", but written with export: Node detects it (20.19 and later).
  pkg('untyped-esm', {}, "export const kind = 'esm syntax';\n");
  // Like @octokit/webhooks-methods: an ES module whose Node build is exported under `import` only.
  pkg('import-only', { type: 'module', exports: { '.': { node: { import: './index.js' } } } }, "export const kind = 'import only';\n");
  // Like @octokit/webhooks, which imports it.
  pkg('imports-import-only', { type: 'module' }, "import { kind } from 'import-only';\nexport const through = kind;\n");
  // A CommonJS file whose own code throws a SyntaxError (bad JSON) fails once: no loader may run it a second time.
  pkg('throws-once', {}, "globalThis.runs = (globalThis.runs ?? 0) + 1;\nJSON.parse('{');\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('CommonJS, "type": "module", untyped and import-only ES module packages all load; a throwing module runs once', () => {
  const script = `
    require(${JSON.stringify(LOADER)});
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(path.join(dir, 'index.js'))});
    const out = { plain: req('plain-cjs').kind, typed: req('typed-esm').kind, untyped: req('untyped-esm').kind, importOnly: req('imports-import-only').through };
    try { req('throws-once'); } catch (err) { out.thrown = err.name; }
    out.runs = globalThis.runs;
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ plain: 'commonjs', typed: 'module', untyped: 'esm syntax', importOnly: 'import only', thrown: 'SyntaxError', runs: 1 });
});
