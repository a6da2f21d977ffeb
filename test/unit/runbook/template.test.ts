import { placeholdersIn, renderTemplate, TemplateError } from '../../../core/runbook/template';

const context = {
  incident: { id: 'INC-42', severity: 'SEV1', service: 'payments', channel: 'incident-inc-42' },
  steps: { notify: { channel: 'C0123', ts: '1700000000.000100' }, approve: { approvedBy: ['U1', 'U2'] } },
};

describe('templates', () => {
  test('renders [incident.x] and [steps.<id>.<output>] placeholders', () => {
    expect(renderTemplate('🚨 [incident.severity] incident detected in [incident.service]', context)).toBe('🚨 SEV1 incident detected in payments');
    expect(renderTemplate('#[incident.channel]', context)).toBe('#incident-inc-42');
    expect(renderTemplate('[steps.notify.channel]/[steps.notify.ts]', context)).toBe('C0123/1700000000.000100');
  });

  test('renders lists as comma-separated text', () => {
    expect(renderTemplate('approved by [steps.approve.approvedBy]', context)).toBe('approved by U1, U2');
  });

  test('a missing value is an error naming it, never a literal placeholder in the output', () => {
    expect(() => renderTemplate('[incident.id] in [incident.region] [steps.nope.ts]', context)).toThrow(TemplateError);
    try {
      renderTemplate('[incident.id] in [incident.region] [steps.nope.ts]', context);
    } catch (err) {
      expect((err as TemplateError).missing).toEqual(['incident.region', 'steps.nope.ts']);
      expect((err as TemplateError).message).toBe('no value for [incident.region], [steps.nope.ts] in "[incident.id] in [incident.region] [steps.nope.ts]"');
    }
  });

  test('leaves text that is not a placeholder alone, and \\[ writes a literal placeholder', () => {
    expect(renderTemplate('see [the runbook](https://x.example) [TODO] <!here>', context)).toBe('see [the runbook](https://x.example) [TODO] <!here>');
    expect(renderTemplate('write \\[incident.id] to get [incident.id]', context)).toBe('write [incident.id] to get INC-42');
  });

  test('does not read inherited properties', () => {
    expect(() => renderTemplate('[incident.constructor]', context)).toThrow(TemplateError);
  });

  test('placeholdersIn lists each placeholder with its offset', () => {
    expect(placeholdersIn('incident-[incident.id] [ steps.a.ts ] \\[incident.x] [x]')).toEqual([
      { name: 'incident.id', raw: '[incident.id]', offset: 9 },
      { name: 'steps.a.ts', raw: '[ steps.a.ts ]', offset: 23 },
    ]);
  });
});
