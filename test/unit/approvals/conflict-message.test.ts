import { ApprovalConflict } from '../../../src/approvals/client';

test('a conflicting request names what differs, in a sentence that reads right for one field or several', () => {
  expect(new ApprovalConflict('approval:api:prod:7', ['destination']).message).toContain('(destination differs)');
  expect(new ApprovalConflict('approval:api:prod:7', ['destination', 'timeoutMs']).message).toContain('(destination, timeoutMs differ)');
});
