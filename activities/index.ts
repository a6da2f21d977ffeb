import { createSelfCheckActivities } from './self-check';
import { SlackContext } from './slack/context';
import { createChannelActivities } from './slack/channels';
import { createMessageActivities } from './slack/messages';
import { createFileActivities } from './slack/files';
import { createCanvasActivities } from './slack/canvases';
import { createDirectoryActivities } from './slack/directory';
import { createApprovalActivities } from './approvals';
import { createIncidentActivities } from './incidents';
import { IntegrationRegistry } from '../src/slack/integrations';
import { ConfigSchema } from '../src/config/schema';
import { OutboundClient } from '../src/net/outbound';
import { createOutcomeActivities, type OutcomeDeliverers } from './outcomes';
import { callbackDeliverer } from './callbacks';
import { githubDeliverer } from './github';
import type { GitHubConfig } from '../src/config/schema';
import { createHoldActivities, type HoldDeps } from './holds';

export interface ActivityDeps extends HoldDeps {
  /** Identity the worker reports in self-checks. */
  workerIdentity: string;
  /** Slack integrations; tokens are resolved here at run time, never in workflows. */
  integrations?: IntegrationRegistry;
  /**
   * Every call to a URL on someone's behalf: response_url replies, Upload
   * File's fetch and upload, incoming webhooks (src/net/outbound.ts).
   * @default one built from the integrations' configuration (`outbound`, and the configured Slack's own origins)
   */
  outbound?: OutboundClient;
  /** The most an Upload File step may fetch and upload. @default 10 MiB */
  maxUploadBytes?: number;
  /** Who tells each kind of outcome target (activities/outcomes.ts). @default callbacks (activities/callbacks.ts); other kinds are refused, saying so */
  outcomeDeliverers?: OutcomeDeliverers;
  /** Configuration `callbacks`: the secret callbacks are signed with (never in a history). @default none: a callback is refused, saying so */
  callbacks?: { signingSecret?: string };
  /** Configuration `github`: the Apps that answer deployment protection rules (their keys are read here, never in a history). @default none: a GitHub target is refused, saying so */
  github?: GitHubConfig;
}

/**
 * Builds every activity from its dependencies, so the worker and the tests
 * inject clients and configuration (samples-typescript's
 * activities-dependency-injection pattern).
 */
export function createActivities(deps: ActivityDeps) {
  const integrations = deps.integrations ?? new IntegrationRegistry(ConfigSchema.parse({}));
  const slack = new SlackContext({ integrations });
  const outbound = deps.outbound ?? new OutboundClient(integrations.outboundPolicy());
  return {
    ...createSelfCheckActivities(deps),
    ...createChannelActivities(slack),
    ...createMessageActivities(slack, { outbound }),
    ...createFileActivities(slack, { outbound, maxBytes: deps.maxUploadBytes }),
    ...createCanvasActivities(slack),
    ...createDirectoryActivities(slack),
    ...createApprovalActivities(slack),
    ...createIncidentActivities(slack),
    ...createHoldActivities(slack, deps),
    ...createOutcomeActivities({
      callback: callbackDeliverer({ outbound, signingSecret: deps.callbacks?.signingSecret }),
      ...(deps.github && Object.keys(deps.github.apps).length ? { github: githubDeliverer(deps.github, integrations) } : {}),
      ...deps.outcomeDeliverers,
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
