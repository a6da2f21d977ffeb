import { ConditionError, conditionReferences, evaluateWhen, parseCondition } from '../../../core/runbook/condition';

const context = {
  incident: { severity: 'SEV2', service: 'payments', customers: '120', customerFacing: 'true', empty: '' },
  steps: { approve: { status: 'approved' } },
};

describe('When conditions', () => {
  test.each([
    ['incident.severity == SEV2', true],
    ['incident.severity == SEV1', false],
    ['incident.severity != SEV1', true],
    ['incident.severity in [SEV1, SEV2]', true],
    ['incident.severity not in [SEV1, SEV2]', false],
    ['incident.severity in [SEV1]', false],
    ['incident.service == "payments" and incident.severity == SEV2', true],
    ["incident.service == 'search' or incident.severity == SEV2", true],
    ['not (incident.severity == SEV2)', false],
    ['!(incident.severity == SEV1) && incident.customerFacing', true],
    ['incident.customers > 100', true],
    ['incident.customers >= 121', false],
    ['incident.severity <= SEV2', true],
    ['incident.empty', false],
    ['incident.unset', false],
    ['incident.unset == SEV1', false],
    ['incident.unset != SEV1', true],
    ['steps.approve.status == approved', true],
    ['true', true],
  ])('%s → %s', (expression, expected) => {
    expect(evaluateWhen(expression, context)).toBe(expected);
  });

  test.each([
    ['incident.severity = SEV1', 18, 'use == to compare (a single = is not an operator)'],
    ['incident.severity in SEV1', 21, 'expected a list like [SEV1, SEV2] after "in", found "SEV1"'],
    ['incident.severity == SEV1 incident.service == x', 26, 'unexpected "incident.service"; join conditions with "and" or "or"'],
    ['(incident.severity == SEV1', 26, 'expected ")" to close the "(" at 1, found the end of the expression'],
    ['incident.severity == ', 21, 'expected a value, a name like incident.severity or "(", found the end of the expression'],
    ['incident.severity == "SEV1', 21, 'unterminated string starting at "'],
    ['process.exit(1)', 12, 'unexpected "("; join conditions with "and" or "or"'],
  ])('%s is refused at offset %d', (expression, offset, message) => {
    let error: unknown;
    try {
      parseCondition(expression);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConditionError);
    expect({ offset: (error as ConditionError).offset, message: (error as Error).message }).toEqual({ offset, message });
  });

  test('lists the names a condition reads, with offsets', () => {
    expect(conditionReferences(parseCondition('incident.severity in [SEV1, SEV2] and steps.approve.status == approved'))).toEqual([
      { name: 'incident.severity', offset: 0 },
      { name: 'steps.approve.status', offset: 38 },
    ]);
  });

  test('a parsed condition is plain data', () => {
    const tree = parseCondition('incident.severity in [SEV1, SEV2]');
    expect(JSON.parse(JSON.stringify(tree))).toEqual(tree);
  });
});
