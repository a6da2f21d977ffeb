import { createSelfCheckActivities } from './self-check';

export interface ActivityDeps {
  /** Identity the worker reports in self-checks. */
  workerIdentity: string;
}

/**
 * Builds every activity from its dependencies, so the worker and the tests
 * inject clients and configuration (samples-typescript's
 * activities-dependency-injection pattern).
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSelfCheckActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
