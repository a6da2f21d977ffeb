/**
 * The step kinds document themselves: the README's step table is what the
 * registry makes of them today, and the one list of kinds holds only kinds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STEP_TABLE_END, STEP_TABLE_START, stepTableMarkdown, withStepTable } from '../../../core/runbook/reference';
import { STEP_SCHEMAS } from '../../../core/runbook/schema';
import * as kinds from '../../../core/runbook/steps/kinds';
import { STEP_KINDS } from '../../../core/runbook/steps/registry';

const README = path.resolve(__dirname, '../../../README.md');

test("README.md's step table is current (regenerate: npm run runbook-reference)", () => {
  const readme = readFileSync(README, 'utf8');
  const table = (text: string) => text.slice(text.indexOf(STEP_TABLE_START), text.indexOf(STEP_TABLE_END));
  expect(table(readme)).toBe(table(withStepTable(readme)));
});

test('the table has a row per kind with its description, fields and outputs', () => {
  const rows = stepTableMarkdown().split('\n').slice(2);
  expect(rows.map((r) => r.split(' | ')[0].slice(2))).toEqual(STEP_KINDS.map((k) => k.operation));
  expect(rows.find((r) => r.startsWith('| Send Message |'))).toBe('| Send Message | Posts a message. | `Channel`, `Message`, `Blocks`, `Thread` (a ts to reply to), `Broadcast` | `channel`, `ts` |');
  STEP_SCHEMAS.forEach((schema) => expect(schema.description).toMatch(/^[A-Z].*\.$/));
});

test('every export of core/runbook/steps/kinds.ts is a step kind, listed once', () => {
  for (const [name, kind] of Object.entries(kinds)) expect({ name, op: kind.op, run: typeof kind.run, schema: typeof kind.schema }).toEqual({ name: kind.op, op: name, run: 'function', schema: 'function' });
  expect(STEP_KINDS).toHaveLength(Object.keys(kinds).length);
  expect(new Set(STEP_KINDS.map((k) => k.operation)).size).toBe(STEP_KINDS.length);
});
