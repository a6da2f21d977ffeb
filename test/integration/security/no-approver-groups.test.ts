/**
 * Attack: on a server whose configuration names no approver groups (a fresh
 * install, or one that keeps its approvers elsewhere), a token holder asks
 * for an approval naming a group of its own invention, with a timeout that
 * approves. The request's names are then not checked at the edge
 * (`approvalNamesOf` says nothing about groups), so the worker must refuse:
 * no card anyone can click, and never an approval by timeout.
 */
import { approvalWorkflowId } from '../../../src/approvals/client';
import { WorkflowFailedError } from '@temporalio/client';
import { serverStack, type ServerStack } from '../../support/server-stack';

const TOKEN = 'no-groups-token-0123456789abcdef';
const CHANNEL = 'C0DEPLOYS';
let s: ServerStack;
beforeAll(async () => {
  s = await serverStack(() => ({ api: { tokens: [{ name: 'ci', token: TOKEN, permissions: ['approvals:write', 'approvals:read'] }] } }));
});
afterAll(() => s?.close());

test('an invented approver group with an approving timeout, on a server with no approver groups: the run fails, no card has buttons, nothing is approved', async () => {
  const execution = `nogroups-${Date.now().toString(36)}`;
  const res = await s.api('POST', '/approvals', TOKEN, { pipeline: 'payments-api', stage: 'production', execution, approverGroups: ['my-friends'], minApprovals: 1, channel: CHANNEL, onTimeout: 'approve', timeout: '3s' });
  // Refused at the edge, or started and refused by the worker: either way never approved.
  if (res.status === 422) return expect(res.body).toMatchObject({ field: expect.stringContaining('approverGroups') });
  expect(res.status).toBe(201);
  const id = approvalWorkflowId({ pipeline: 'payments-api', stage: 'production', execution });
  // The worker refuses the group it does not know: the run fails, it never reaches its timeout.
  await expect(s.client.workflow.getHandle(id).result()).rejects.toBeInstanceOf(WorkflowFailedError);
  const cards = s.sandbox.messages(CHANNEL).filter((m) => m.text.includes(execution));
  expect(cards.filter((c) => JSON.stringify(c.blocks).includes('"actions"'))).toEqual([]);
  const view = await s.api('GET', `/approvals/${encodeURIComponent(id)}`, TOKEN);
  expect(view.body).toMatchObject({ status: 'failed', decisions: [], reason: expect.stringContaining('my-friends') });
});
