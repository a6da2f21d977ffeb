/**
 * Shared by the incident tests: a sandbox Slack with the integrations the
 * worker would build for it (its secrets known to the suite's scan),
 * runbooks from text, and a bounded poll.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Sandbox, Message } from '../../src/sandbox';
import { buildServer } from '../../src/server/app';
import { featureApiRoutes } from '../../src/server/features';
import type { ApiPermission } from '../../src/server/api-auth';
import { runningWorker, type TestWorker } from './temporal';
import { parseRunbook } from '../../core/runbook/validate';
import type { Runbook } from '../../core/runbook/types';
import { rememberSecrets, slackHarness, type SlackHarness } from './slack';

export type IncidentSlack = SlackHarness;

/** `config` is Signalroom's configuration for the test (e.g. `outbound.privateHosts` for a loopback stand-in for Grafana). */
export function incidentSlack(options: { rateLimits?: boolean; config?: Record<string, unknown> } = {}): Promise<IncidentSlack> {
  return slackHarness(options.config ?? {}, { rateLimits: options.rateLimits ?? false, timeoutMs: 3000 });
}

/** A runbook from YAML text; fails the test with the problems when it is invalid. */
export function runbookFrom(text: string, file = 'test-runbook.yaml'): Runbook {
  const { runbook, problems } = parseRunbook(text, file);
  if (!runbook || problems.length) throw new Error(`invalid test runbook: ${JSON.stringify(problems)}`);
  return runbook;
}

export { eventually } from './eventually';

/** Top-level messages and replies of a channel whose text contains `fragment`. */
export function messagesWith(sandbox: Sandbox, channelId: string, fragment: string | RegExp): Message[] {
  return sandbox.messages(channelId).filter((m) => (typeof fragment === 'string' ? m.text.includes(fragment) : fragment.test(m.text)));
}

let seq = 0;
/** An incident id unique within the test run (channel names stay free across tests on the shared dev server). */
export function uniqueIncidentId(prefix = 'INC'): string {
  return `${prefix}-${Date.now().toString(36)}${(++seq).toString(36)}`;
}

/**
 * A worker on its own task queue, the sandbox Slack, and Signalroom's HTTP
 * server with the incident API (runbooks from test/fixtures/runbooks/incidents)
 * and the given API tokens, whose secrets the suite's scan learns.
 */
export interface IncidentApiStack {
  slack: IncidentSlack;
  client: Client;
  worker: TestWorker;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function incidentApiStack(apiTokens: Array<{ name: string; token: string; permissions: ApiPermission[] }>): Promise<IncidentApiStack> {
  const slack = await incidentSlack();
  rememberSecrets(...apiTokens.map((t) => t.token));
  const temporal = await runningWorker({ activityDeps: { integrations: slack.integrations } });
  const { client, worker } = temporal;
  const app = await buildServer({
    temporal: client,
    logger: false,
    apiTokens,
    apiRoutes: featureApiRoutes({ temporal: client, taskQueue: worker.taskQueue, runbookDirs: [path.join(__dirname, '../fixtures/runbooks/incidents')] }),
  });
  return {
    slack,
    client,
    worker,
    app,
    async close() {
      await app.close();
      await temporal.stop();
      await slack.close();
    },
  };
}
