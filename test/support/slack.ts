/**
 * A sandbox Slack plus the integrations Signalroom would build for it, for
 * tests of activities and workflows.
 */
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox';
import { ConfigSchema, type SignalroomConfig } from '../../src/config/schema';
import { IntegrationRegistry } from '../../src/slack/integrations';

export interface SlackHarness {
  sandbox: Sandbox;
  config: SignalroomConfig;
  integrations: IntegrationRegistry;
  close(): Promise<void>;
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
  return { sandbox, config: parsed, integrations, close: () => sandbox.close() };
}
