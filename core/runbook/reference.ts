/**
 * The README's step table, made from the registry (./steps/registry.ts):
 * each kind's operation, its schema's one-line description, its fields (the
 * schema's, with the kind's `docs` notes) and its outputs. `npm run
 * runbook-reference` writes it between the markers below, and
 * runbooks/runbook.schema.json beside it; a unit test fails when either is
 * stale (test/unit/runbook/reference.test.ts).
 */
import { STEP_SCHEMAS } from './schema';
import { PLAIN_COMMON_FIELDS } from './steps/kind';
import { STEP_KINDS } from './steps/registry';

export const STEP_TABLE_START = '<!-- step table: made from core/runbook/steps/ by `npm run runbook-reference`; edit the kinds, not this table -->';
export const STEP_TABLE_END = '<!-- /step table -->';

const COMMON = new Set<string>(PLAIN_COMMON_FIELDS);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const named = (name: string, note: string | undefined) => `\`${name}\`${note ? ` (${note})` : ''}`;

/** The table's rows, one per kind, in the registry's order. */
export function stepTableMarkdown(): string {
  const rows = STEP_KINDS.map((kind, i) => {
    const schema = STEP_SCHEMAS[i];
    const notes: { fields?: Partial<Record<string, string>>; outputs?: Partial<Record<string, string>> } = kind.docs ?? {};
    const fields = Object.keys(schema.shape).filter((f) => !COMMON.has(f));
    // The outputs have their own column: the description's "Outputs …" sentence (for editors) is left out.
    const description = (schema.description ?? '').replace(/\s*Outputs [^.]*\.$/, '');
    return `| ${kind.operation} | ${cell(description)} | ${cell(fields.map((f) => named(f, notes.fields?.[f])).join(', '))} | ${cell(kind.outputs.map((o) => named(o, notes.outputs?.[o])).join(', '))} |`;
  });
  return ['| Operation | what it does | fields | outputs `[steps.<id>.…]` |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README with its step table replaced by the current one. */
export function withStepTable(readme: string): string {
  const start = readme.indexOf(STEP_TABLE_START);
  const end = readme.indexOf(STEP_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no step table between "${STEP_TABLE_START}" and "${STEP_TABLE_END}"`);
  return `${readme.slice(0, start + STEP_TABLE_START.length)}\n\n${stepTableMarkdown()}\n\n${readme.slice(end)}`;
}
