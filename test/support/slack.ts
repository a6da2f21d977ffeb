/**
 * A sandbox Slack plus the integrations Signalroom would build for it, for
 * tests of activities and workflows; and the suite's list of secrets, which
 * every stack builder adds to so the secrets scan knows what to look for.
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

/**
 * Every secret a configuration holds: Slack tokens, signing, client and state
 * secrets, incoming-webhook URLs, API tokens, and GitHub Apps' webhook
 * secrets and private keys (a PEM is scanned for line by line).
 */
export function configSecrets(config: SignalroomConfig): string[] {
  const { organization, connectors, webhooks } = config.slack;
  const apps: Array<{ botToken?: string; signingSecret?: string; clientSecret?: string; stateSecret?: string } | undefined> = [organization, ...Object.values(connectors)];
  return [
    ...apps.flatMap((a) => [a?.botToken, a?.signingSecret, a?.clientSecret, a?.stateSecret]),
    ...Object.values(webhooks).map((w) => (typeof w === 'string' ? w : w.url)),
    ...config.api.tokens.map((t) => t.token),
    config.callbacks.signingSecret,
    ...Object.values(config.github.apps).flatMap((a) => [a.webhookSecret, a.privateKey]),
  ].filter((s): s is string => typeof s === 'string');
}

/** A sandbox Slack (rate limits off unless asked for) whose bot token, signing secret and OAuth client secret the scan knows. */
export async function testSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ rateLimits: false, ...options });
  rememberSecrets(sandbox.botToken, sandbox.signingSecret, sandbox.oauthApp.clientSecret);
  return sandbox;
}

/** `config` is merged over an organization integration pointing at the sandbox. */
export async function slackHarness(config: Record<string, unknown> = {}, options: SandboxOptions & { timeoutMs?: number } = {}): Promise<SlackHarness> {
  const sandbox = await testSandbox(options);
  const raw = config as { slack?: Record<string, unknown> };
  const parsed = ConfigSchema.parse({
    ...config,
    slack: {
      ...raw.slack,
      organization: { botToken: sandbox.botToken, signingSecret: sandbox.signingSecret, apiUrl: sandbox.apiUrl, ...(raw.slack?.organization as object) },
    },
  });
  rememberSecrets(...configSecrets(parsed));
  const integrations = new IntegrationRegistry(parsed, { timeoutMs: options.timeoutMs ?? 2000 });
  return { sandbox, config: parsed, integrations, close: () => sandbox.close() };
}
