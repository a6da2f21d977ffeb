/**
 * A worker whose hold board cannot be started when it starts (Temporal
 * refused the call, say) starts anyway: it logs a warning, and the first
 * approval's own signal-with-start starts the board (src/worker.ts,
 * docs/ARCHITECTURE.md, "The path of a hold"). What the requester sees is
 * the card, as with a board that was there.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import { holdBoardId } from '../../../workflows/holds/board';
import { approvalStateQuery } from '../../../workflows/messages';
import { card, CHANNEL, eventually, uniqueExecution, visibleText } from '../../support/approvals';
import { serverStack, type ServerStack } from '../../support/server-stack';
import { capturedSdkLogs } from '../../support/temporal';

// The start at worker start fails; the activities that reach the board are the real ones.
jest.mock('../../../activities/holds', () => {
  const actual = jest.requireActual<typeof import('../../../activities/holds')>('../../../activities/holds');
  return { ...actual, startHoldBoard: jest.fn(async () => Promise.reject(new Error('PERMISSION_DENIED: this worker may not start workflows'))) };
});

let stack: ServerStack;
beforeAll(async () => {
  stack = await serverStack(() => ({ approverGroups: { release: { userGroups: ['@release-managers'] } } }));
});
afterAll(() => stack?.close());

test('the worker starts without its board, and the first approval starts the board and posts its card', async () => {
  const board = stack.client.workflow.getHandle(holdBoardId(stack.worker.taskQueue));
  await expect(board.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  expect(capturedSdkLogs().some((line) => line.startsWith('WARN the hold board could not be started now') && line.includes(stack.worker.taskQueue) && line.includes('PERMISSION_DENIED'))).toBe(true);

  const execution = uniqueExecution('board-late');
  const handle = await requestApproval(
    stack.client,
    normalizeApprovalRequest({ pipeline: 'web', service: 'checkout', stage: 'production', execution, approverGroups: ['release'], destination: { channel: CHANNEL }, timeout: '10m' }),
    stack.worker.taskQueue,
  );
  const posted = await eventually('the card to be posted', () => card(stack.sandbox, execution));
  expect(visibleText(posted)).toContain('Approve');
  const described = await board.describe();
  expect(described.status.name).toBe('RUNNING');
  expect(described.type).toBe('holdBoard');
  // The run asked the board and had its answer before the card (else it warns and posts unheld): nothing holds it.
  const state = await handle.query(approvalStateQuery);
  expect(state.status).toBe('pending');
  expect(state.holds ?? []).toEqual([]);
  expect(capturedSdkLogs().filter((line) => line.includes('the hold board has not answered yet') && line.includes(handle.workflowId))).toEqual([]);
});
