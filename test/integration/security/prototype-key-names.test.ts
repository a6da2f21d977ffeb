/**
 * Attack: name an approver group, a project or a Slack integration after a
 * property every JavaScript object has — `constructor`, `toString`,
 * `__proto__` — straight against Temporal, past the API's checks. A lookup
 * of configuration by such a name found Object.prototype's member: a group
 * "resolved" into a TypeError retried forever, a project nobody configured
 * was taken as one that may use the organization's app. Each must be as
 * unknown as any other name nobody configured: the run fails saying so.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { requestApproval } from '../../../src/approvals/client';
import type { approval } from '../../../workflows/approval/workflow';
import { CHANNEL, securityStack, type SecurityStack } from '../../support/security';

let s: SecurityStack;
beforeAll(async () => {
  s = await securityStack({ config: { projects: { payments: { connector: 'payments' } } } });
});
afterAll(() => s?.close());

const NAMES = ['constructor', 'toString', '__proto__'];

/** The run's failure, or a failure of the test when it has not ended within `ms` (a retried activity never ends it). */
async function failureOf(handle: WorkflowHandle<typeof approval>, ms = 30_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${handle.workflowId} had not ended after ${ms / 1000}s`)), ms);
  });
  try {
    const outcome = await Promise.race([handle.result().then((r) => `ended ${r.status}`, (err: Error & { cause?: Error & { cause?: Error } }) => err.cause?.cause?.message ?? err.cause?.message ?? err.message), bound]);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

const start = (execution: string, extra: Record<string, unknown>) =>
  requestApproval(s.client, { pipeline: 'proto', stage: 'prod', execution: `${execution}-${Date.now().toString(36)}`, approverGroups: ['sre'], timeout: '10m', destination: { channel: CHANNEL }, ...extra }, s.worker.taskQueue);

test.each(NAMES)('an approver group named %s is unknown: the run fails saying so', async (name) => {
  const handle = await start(`group-${name.replace(/_/g, '')}`, { approverGroups: [name] });
  expect(await failureOf(handle)).toContain(`Unknown approver group "${name}"`);
});

test.each(NAMES)('a project named %s is unknown: the run fails saying so', async (name) => {
  const handle = await start(`project-${name.replace(/_/g, '')}`, { destination: { channel: CHANNEL, project: name } });
  expect(await failureOf(handle)).toContain(`Unknown project "${name}"`);
});

test.each(NAMES)('a Slack integration connector:%s, and an incoming webhook of that name, are unknown', async (name) => {
  // The approval's carrier check refuses such a connector first; the lookup behind every Slack call must not find one either.
  await expect(s.integrations.get(`connector:${name}`)).rejects.toThrow(`Unknown Slack integration "connector:${name}"`);
  expect(() => s.integrations.webhookUrl(name)).toThrow(`Unknown incoming webhook "${name}"`);
  expect(s.integrations.approverGroup(name)).toBeUndefined();
});
