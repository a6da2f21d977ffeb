import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runbookJsonSchema } from '../../../core/runbook/schema';
import { OPERATION_NAMES } from '../../../core/runbook/types';
import { STEP_KINDS } from '../../../core/runbook/steps/registry';
import { schemaId } from '../../../core/runbook/steps/syntax';

const committed = path.resolve(__dirname, '../../../runbooks/runbook.schema.json');

describe('runbooks/runbook.schema.json', () => {
  test('is what the zod schema generates (regenerate: node bin/signalroom.js runbook schema > runbooks/runbook.schema.json)', () => {
    expect(JSON.parse(readFileSync(committed, 'utf8'))).toEqual(runbookJsonSchema());
  });

  test('offers editors every operation and the seed syntax keys', () => {
    const text = readFileSync(committed, 'utf8');
    for (const operation of Object.keys(OPERATION_NAMES)) expect(text).toContain(`"const": "${operation}"`);
    for (const key of ['"Action Type"', '"AddUsers"', '"ThreadUpdates"', '"Blocks"', '"When"', '"reminders"', '"onResolve"']) expect(text).toContain(key);
  });

  test('names every definition (a kind is <Operation>Step), so a new kind adds one and renumbers none', () => {
    const definitions = Object.keys((runbookJsonSchema() as { definitions: Record<string, unknown> }).definitions);
    expect(definitions.filter((id) => !/^[A-Z][A-Za-z]+$/.test(id))).toEqual([]);
    expect(definitions).toEqual(expect.arrayContaining(['Runbook', 'Step', 'Channel', 'Block', 'Reminders', ...STEP_KINDS.map((k) => schemaId(k.operation, 'Step'))]));
    expect(schemaId('Send Message', 'Step')).toBe('SendMessageStep');
  });
});
