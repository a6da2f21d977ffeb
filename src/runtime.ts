/**
 * Everything a Signalroom process needs besides Temporal: the loaded
 * configuration, the installation store and the Slack integrations. The
 * worker, the server, doctor and dev all build it the same way.
 */
import { readEnv, type SignalroomEnv } from './config/env';
import { loadConfig } from './config/load';
import type { SignalroomConfig } from './config/schema';
import { IntegrationRegistry } from './slack/integrations';
import type { SlackCallObserver } from './slack/call-metrics';
import { installationStoreSettings, openInstallationStore, type InstallationStoreHandle } from './store/installations';

export interface Runtime {
  env: SignalroomEnv;
  config: SignalroomConfig;
  configFile?: string;
  installations: InstallationStoreHandle;
  integrations: IntegrationRegistry;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  /** An already-loaded configuration (tests, dev). */
  config?: SignalroomConfig;
  configFile?: string;
  /** Organization defaults when neither config nor environment names a Slack (the sandbox in dev). */
  slackFallback?: { botToken: string; signingSecret: string; apiUrl: string };
  /** Told of every Slack call the integrations make (the worker's usage metrics). */
  observeSlackCalls?: SlackCallObserver;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const rawEnv = options.env ?? process.env;
  const env = readEnv(rawEnv);
  const loaded = options.config ? { config: options.config, file: options.configFile } : loadConfig(rawEnv);
  const installations = await openInstallationStore({ ...installationStoreSettings(env, loaded.config), dataDir: env.SIGNALROOM_DATA_DIR });
  const fromEnv = { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, apiUrl: env.SLACK_API_URL };
  const organizationDefaults = fromEnv.botToken || fromEnv.signingSecret ? fromEnv : options.slackFallback ?? fromEnv;
  const integrations = new IntegrationRegistry(loaded.config, { installationStore: installations.store, organizationDefaults, observeCalls: options.observeSlackCalls });
  return {
    env,
    config: loaded.config,
    configFile: loaded.file,
    installations,
    integrations,
    close: () => installations.close(),
  };
}

/** True when no real Slack is configured, so `signalroom dev` should run the sandbox. */
export function needsSandbox(runtimeEnv: SignalroomEnv, config: SignalroomConfig): boolean {
  return !runtimeEnv.SLACK_BOT_TOKEN && !config.slack.organization?.botToken && !config.slack.organization?.clientId && Object.keys(config.slack.connectors).length === 0;
}
