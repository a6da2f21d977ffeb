/**
 * Starting and following approvals from outside the worker: the CLI and the
 * HTTP API both use these, so a pipeline gets the same behaviour either way.
 */
import { WorkflowIdConflictPolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import { SA } from '../temporal/search-attributes';
import type { approval } from '../../workflows/approval/workflow';
import type { ApprovalRequest } from '../../workflows/approval/types';

/** Slack-safe, readable, and the same for a retried pipeline step. */
export function approvalWorkflowId(r: Pick<ApprovalRequest, 'pipeline' | 'stage' | 'execution'>): string {
  const part = (s: string) => s.trim().replace(/[^A-Za-z0-9._-]+/g, '_');
  return `approval-${part(r.pipeline)}-${part(r.stage)}-${part(r.execution)}`;
}

/**
 * Starts the approval, or joins the running one with the same pipeline,
 * stage and execution, so a retried step never posts a second card.
 */
export async function requestApproval(client: Client, request: ApprovalRequest, taskQueue: string): Promise<WorkflowHandle<typeof approval>> {
  const workflowId = approvalWorkflowId(request);
  return client.workflow.start<typeof approval>('approval', {
    taskQueue,
    workflowId,
    args: [request],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `Approval: ${request.pipeline} › ${request.stage} (${request.execution})`,
    staticDetails: [
      request.summary ?? '',
      `Approvers: ${request.approverGroups.join(', ')}; ${request.minApprovals ?? 1} needed; timeout ${request.timeout ?? '1h'} then ${request.onTimeout ?? 'reject'}`,
      request.link ? `Run: ${request.link}` : '',
    ]
      .filter(Boolean)
      .join('\n'),
    typedSearchAttributes: [
      { key: SA.kind, value: 'approval' },
      { key: SA.status, value: 'pending' },
      { key: SA.pipeline, value: request.pipeline },
      { key: SA.stage, value: request.stage },
    ],
  });
}
