import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { describeWorker } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  summary: 'Asking a worker to describe itself',
});

export interface SelfCheckResult {
  workflowId: string;
  worker: Awaited<ReturnType<Activities['describeWorker']>>;
}

/**
 * Proves the stack end to end: a client starts it, the server schedules it,
 * a worker runs its activity. `signalroom dev` runs it at every start so the
 * Temporal UI shows a run straight away.
 */
export async function selfCheck(): Promise<SelfCheckResult> {
  const worker = await describeWorker();
  return { workflowId: workflowInfo().workflowId, worker };
}
