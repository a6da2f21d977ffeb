/**
 * A sandbox Slack plus the integrations Signalroom would build for it, for
 * tests of activities and workflows.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox';
import { ConfigSchema, type SignalroomConfig } from '../../src/config/schema';
import { IntegrationRegistry } from '../../src/slack/integrations';

export interface SlackHarness {
  sandbox: Sandbox;
  config: SignalroomConfig;
  integrations: IntegrationRegistry;
  close(): Promise<void>;
}

/**
 * Records secrets the run used, so the global teardown can prove none of them
 * reached a workflow history, memo or search attribute.
 */
export function rememberSecrets(...secrets: string[]): void {
  const dir = process.env.SIGNALROOM_TEST_RUN_DIR;
  if (dir) appendFileSync(path.join(dir, 'secrets.txt'), secrets.filter(Boolean).map((s) => `${s}\n`).join(''));
}

/** `config` is merged over an organization integration pointing at the sandbox. */
export async function slackHarness(config: Record<string, unknown> = {}, options: SandboxOptions & { timeoutMs?: number } = {}): Promise<SlackHarness> {
  const sandbox = await startSandbox({ rateLimits: false, ...options });
  const raw = config as { slack?: Record<string, unknown> };
  const parsed = ConfigSchema.parse({
    ...config,
    slack: {
      ...raw.slack,
      organization: { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl, ...(raw.slack?.organization as object) },
    },
  });
  const integrations = new IntegrationRegistry(parsed, { timeoutMs: options.timeoutMs ?? 2000 });
  rememberSecrets(sandbox.botToken, sandbox.signingSecret, sandbox.oauthApp.clientSecret);
  return { sandbox, config: parsed, integrations, close: () => sandbox.close() };
}
