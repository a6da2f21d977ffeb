import { activityInfo } from '@temporalio/activity';

export function createSelfCheckActivities(deps: { workerIdentity: string }) {
  return {
    async describeWorker() {
      return {
        identity: deps.workerIdentity,
        taskQueue: activityInfo().taskQueue,
        node: process.version,
        pid: process.pid,
      };
    },
  };
}
