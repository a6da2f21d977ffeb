import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_RUNBOOK_NESTING, nestingPastLimit } from '../../../core/runbook/nesting';
import { parseRunbook } from '../../../core/runbook/validate';

const RUNBOOKS = path.join(__dirname, '../../../runbooks');

test('the shipped runbooks nest far below the bound', () => {
  for (const file of readdirSync(RUNBOOKS).filter((f) => f.endsWith('.yaml'))) {
    expect(nestingPastLimit(readFileSync(path.join(RUNBOOKS, file), 'utf8'), 8)).toBeUndefined();
  }
});

test('flow brackets, indentation and compact items all count; brackets in quotes and block text do not', () => {
  expect(nestingPastLimit(`steps: ${'['.repeat(65)}${']'.repeat(65)}`)).toEqual({ line: 1, depth: MAX_RUNBOOK_NESTING + 1 });
  expect(nestingPastLimit(`steps:\n${'- '.repeat(100)}x`)).toMatchObject({ line: 2 });
  expect(nestingPastLimit(`a:\n${Array.from({ length: 80 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')}`)).toMatchObject({ line: MAX_RUNBOOK_NESTING + 1 });
  expect(nestingPastLimit(`msg: "${'['.repeat(200)}"\nb: |\n  ${'{'.repeat(200)}\n  don't\nc: 1\n`)).toBeUndefined();
});

test('a runbook nested past the bound is one problem naming the limit, found before the parser runs', () => {
  const { problems } = parseRunbook(`steps: ${'['.repeat(20_000)}${']'.repeat(20_000)}`, 'deep.yaml');
  expect(problems).toEqual([expect.objectContaining({ field: '(syntax)', limit: 'nesting', message: expect.stringContaining(`deeper than ${MAX_RUNBOOK_NESTING} levels`) })]);
});
