/**
 * The configuration is documented from its schema: every key has a
 * description, docs/configuration.md and docs/signalroom.schema.json are
 * what `npm run config-reference` makes of the schema today, and the
 * README's sample configuration loads without a problem.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../../src/config/load';
import { configJsonSchema, configKeys, configReferenceMarkdown } from '../../../src/config/reference';

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

test('every key of signalroom.yaml has a description', () => {
  const keys = configKeys();
  expect(keys.length).toBeGreaterThan(60);
  expect(keys.filter((k) => !k.description).map((k) => k.path)).toEqual([]);
  // The ones an operator found missing from the documentation.
  const paths = keys.map((k) => k.path);
  expect(paths).toEqual(expect.arrayContaining(['runbooks.dirs', 'slack.connectors.<name>.bot.iconUrl', 'api.tokens[].permissions']));
  const permissions = keys.find((k) => k.path === 'api.tokens[].permissions')!;
  for (const p of ['incidents:read', 'runbooks:read', 'runbooks:run', '*']) expect(permissions.type).toContain(`\`${p}\``);
});

test('docs/configuration.md and docs/signalroom.schema.json are up to date (npm run config-reference)', () => {
  expect(read('docs/configuration.md')).toBe(configReferenceMarkdown());
  expect(JSON.parse(read('docs/signalroom.schema.json'))).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
});

test("the README's sample configuration loads, every name it refers to configured", () => {
  const readme = read('README.md');
  const marker = '<!-- example: config (loaded by test/unit/config/reference.test.ts) -->';
  const sample = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(marker)))![1];
  const env = Object.fromEntries([...sample.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => [m[1], m[1].endsWith('URL') ? 'https://hooks.slack.com/services/T0/B0/x' : `${m[1].toLowerCase()}-0123456789abcdef`]));
  const config = parseConfig(sample, 'README.md', env);
  expect(config.runbooks.dirs).toEqual(['runbooks', '/etc/signalroom/runbooks']);
  // Every top-level key of the schema appears in the sample.
  expect(Object.keys(config).sort()).toEqual(Object.keys(configJsonSchema().properties!).sort());
  for (const key of Object.keys(configJsonSchema().properties!)) expect(sample).toMatch(new RegExp(`^${key}:`, 'm'));
});
