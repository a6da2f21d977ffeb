/** A Temporal client whose handles accept every signal at once: the endpoint alone is measured. */
import type { Client } from '@temporalio/client';

export function stubTemporalClient(): Client {
  const handle = { signal: async () => undefined };
  const stub = {
    workflow: { getHandle: () => handle },
    connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
    workflowService: { getSystemInfo: async () => ({}) },
  };
  return stub as unknown as Client;
}
