/**
 * The configuration file (signalroom.yaml), as a zod schema. Secrets appear
 * here only as `${ENV}` references resolved at load time; they never leave
 * the process that loaded them (workflows carry integration names only).
 */
import { USER_ID } from '../slack/mrkdwn';
import { z } from 'zod';
import { hostRuleProblem } from '../net/host-rules';

/** A Slack channel name pattern: `inc-*`, `deploys`, or `*` for any. */
const channelPattern = z.string().min(1).regex(/^[a-z0-9_\-*]+$/, 'a channel pattern uses lowercase letters, digits, - _ and * only (no #)');

/** A Slack user id, by the one pattern for it (src/slack/mrkdwn.ts). */
const SlackUserId = z.string().max(32).regex(USER_ID, 'a Slack user id like U0123ABCD');

export const ChannelPermissionsSchema = z
  .object({
    /** Channel names (patterns) the integration may create. @default ['*'] */
    create: z.array(channelPattern).default(['*']),
    /** Channel names (patterns) the integration may post to, update, pin, bookmark and invite into. @default ['*'] */
    post: z.array(channelPattern).default(['*']),
    /** Channel names (patterns) the integration may archive. @default ['*'] */
    archive: z.array(channelPattern).default(['*']),
  })
  .strict();

export const BotSettingsSchema = z
  .object({
    /** Display name for messages (needs chat:write.customize). */
    username: z.string().min(1).max(80).optional(),
    iconEmoji: z.string().regex(/^:[a-z0-9_+-]+:$/, 'an emoji like :rotating_light:').optional(),
    iconUrl: z.string().url().optional(),
  })
  .strict();

const SlackAppFields = {
  /** Bot token (xoxb-…); usually `${SLACK_BOT_TOKEN}`. */
  botToken: z.string().min(1).optional(),
  /** The Slack app's signing secret, to verify clicks. */
  signingSecret: z.string().min(1).optional(),
  /** Slack Web API base URL. @default https://slack.com/api/ (GovSlack: https://slack-gov.com/api/) */
  apiUrl: z.string().url().optional(),
  /** Channel-name convention enforced before any conversations.create, as a regex. */
  channelNamePattern: z.string().optional(),
  /**
   * The Slack app's id (`A0123…`, the `api_app_id` of its requests). With it,
   * a click or command is verified with this app's signing secret only.
   */
  appId: z.string().regex(/^A[A-Z0-9]+$/, 'a Slack app id like A0123ABCD').optional(),
};

const TeamId = z.string().regex(/^T[A-Z0-9]+$/, 'a Slack team id like T0123ABCD');
const EnterpriseId = z.string().regex(/^E[A-Z0-9]+$/, 'a Slack enterprise id like E0123ABCD');

export const OrganizationSchema = z
  .object({
    ...SlackAppFields,
    /** OAuth ("Connect Slack"): client id, secret and state secret of the Slack app. */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    stateSecret: z.string().min(8).optional(),
    /**
     * The organization's workspace. Pins the integration: an OAuth install
     * from any other workspace is refused, and clicks must come from it.
     * @default the first workspace installed through OAuth (recorded)
     */
    teamId: TeamId.optional(),
    /** The organization's Enterprise Grid (org-wide installs). */
    enterpriseId: EnterpriseId.optional(),
  })
  .strict();

export const ConnectorSchema = z
  .object({
    ...SlackAppFields,
    botToken: z.string().min(1),
    /** The workspace this connector's app is installed in: its clicks must come from it. */
    teamId: TeamId.optional(),
    enterpriseId: EnterpriseId.optional(),
    /** Which channels this connector may touch. */
    channels: ChannelPermissionsSchema.default({ create: ['*'], post: ['*'], archive: ['*'] }),
    bot: BotSettingsSchema.optional(),
  })
  .strict();

export const ProjectSchema = z
  .object({
    /** The connector this project's runbooks and approvals use by default. */
    connector: z.string().optional(),
    /** Connectors the project may name explicitly. @default its `connector` only */
    connectors: z.array(z.string()).optional(),
    /** May the project fall back to the organization-level integration? @default true when it has no connector */
    allowOrganization: z.boolean().optional(),
  })
  .strict();

export const ApproverGroupSchema = z
  .object({
    /** Slack user IDs. */
    users: z.array(SlackUserId).default([]),
    emails: z.array(z.string().email()).default([]),
    /** Slack user-group handles (`@release-managers`), resolved when a request starts. */
    userGroups: z.array(z.string().regex(/^@?[a-z0-9._-]+$/, 'a user-group handle like @release-managers')).default([]),
    /**
     * Policy, never a request field: may the person who requested a run
     * approve it, when this group is asked? A request may only be stricter.
     * @default false
     */
    allowSelfApproval: z.boolean().default(false),
    /** May a request asking this group be approved when nobody decides in time? @default false */
    allowApproveOnTimeout: z.boolean().default(false),
    /**
     * The integrations that may carry this group's approval cards. Whoever
     * holds an integration's signing secret can claim any user on the cards
     * it carries, so a connector listed here is trusted with this group's
     * decisions (SECURITY.md). @default ['organization']
     */
    integrations: z
      .array(z.string().regex(/^(organization|connector:[a-z0-9][a-z0-9_-]*)$/, 'organization or connector:<name>'))
      .min(1, 'name at least one integration (organization, or connector:<name>)')
      .default(['organization']),
  })
  .strict();

/**
 * Every permission an API token can hold. A token acts as its own `slackUser`;
 * `approvals:decide-as-anyone` lets it name the user who decides or cancels an
 * approval, `incidents:write-as-anyone` the user who opens, updates, changes
 * or resolves an incident or its action items.
 */
export const API_PERMISSIONS = ['approvals:read', 'approvals:write', 'approvals:decide', 'approvals:decide-as-anyone', 'runbooks:read', 'runbooks:run', 'incidents:read', 'incidents:write', 'incidents:write-as-anyone', 'integrations:install', '*'] as const;

export const ApiTokenSchema = z
  .object({
    name: z.string().min(1),
    token: z.string().min(16, 'API tokens must be at least 16 characters'),
    /** What the token may do. @default none: a token is given its permissions explicitly */
    permissions: z.array(z.enum(API_PERMISSIONS)).default([]),
    /**
     * The Slack user this token decides as. A token without it may decide only
     * with `approvals:decide-as-anyone`, naming the user on each call.
     */
    slackUser: SlackUserId.optional(),
  })
  .strict();

/**
 * Where the installation store keeps Slack OAuth installations and install
 * links: a PostgreSQL of its own setting, apart from any Temporal cluster's
 * (README, "Environment").
 */
export const StoreSchema = z
  .object({
    /** A `postgres://` URL. @default $SIGNALROOM_DATABASE_URL, else $DATABASE_URL, else files under the data folder */
    databaseUrl: z.string().min(1).optional(),
    /** Connections each Signalroom process may open to it. @default 4 */
    poolSize: z.number().int().min(1).max(50).default(4),
  })
  .strict();

export const WorkerTuningSchema = z
  .object({
    // Defaults fit a 2-core machine: Slack calls are I/O-bound, so many
    // activities may wait at once, while workflow tasks are CPU-bound.
    // Bounded like every number Signalroom reads (SECURITY.md): a typo of extra zeros is refused on load, not sized into the worker.
    maxConcurrentActivityTaskExecutions: z.number().int().positive().max(10_000).default(100),
    maxConcurrentWorkflowTaskExecutions: z.number().int().positive().max(1_000).default(40),
    maxCachedWorkflows: z.number().int().nonnegative().max(100_000).default(2000),
  })
  .strict();

/**
 * An incoming webhook: its URL, or the URL and the integration whose Slack app
 * owns it (clicks on its cards are verified as that app's). @default owner: organization
 */
export const WebhookSchema = z.union([
  z.string().url(),
  z.object({ url: z.string().url(), integration: z.string().regex(/^(organization|connector:[a-z0-9][a-z0-9_-]*)$/, 'organization or connector:<name>').default('organization') }).strict(),
]);

/** `host`, `host:port` (IPv6 in brackets); `*.domain` too where `wildcard`. */
const outboundHost = (wildcard: boolean) =>
  z.string().superRefine((entry, ctx) => {
    const problem = hostRuleProblem(entry, { wildcard });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * Where Signalroom may call on someone's behalf (Upload File's `Url:`,
 * incoming webhooks, response URLs): public addresses only, through one
 * client (src/net/outbound.ts; SECURITY.md, "Outbound calls go through one client").
 */
export const OutboundSchema = z
  .object({
    /** When given, the only hosts called besides Slack's own: `host`, `host:port` or `*.domain`. @default any public host */
    allowHosts: z.array(outboundHost(true)).default([]),
    /**
     * Hosts that may resolve to a loopback, private (RFC 1918), unique-local or
     * CGNAT address, e.g. an internal dashboard (`grafana.internal:3000`).
     * Link-local and cloud-metadata addresses are never called. @default none
     */
    privateHosts: z.array(outboundHost(false)).default([]),
  })
  .strict();

export const IncidentPolicySchema = z
  .object({
    /**
     * Approver groups whose members may open, update, change the severity of
     * and resolve incidents from the slash command, and close action items
     * with their Done buttons. @default none
     */
    responderGroups: z.array(z.string()).default([]),
    /**
     * Who else may change an incident (update, severity, resolve, action
     * items) from Slack: `responders` — only the people the incident added
     * itself (its runbook's Create Channel and Add Users steps, and whoever
     * opened it, as Signalroom recorded them); `channel-members` — anyone in
     * the incident's channel, including whoever joined a public one.
     * @default responders
     */
    changeAccess: z.enum(['responders', 'channel-members']).default('responders'),
  })
  .strict();

export type IncidentPolicy = z.infer<typeof IncidentPolicySchema>;

export const ConfigSchema = z
  .object({
    slack: z
      .object({
        organization: OrganizationSchema.optional(),
        /**
         * Incoming-webhook URLs by name (the approvals document's setup).
         * Workflows carry the name; the URL, a secret, stays in configuration.
         */
        webhooks: z.record(z.string(), WebhookSchema).default({}),
        connectors: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'connector names use lowercase letters, digits, - and _'), ConnectorSchema).default({}),
      })
      .strict()
      .default({ connectors: {}, webhooks: {} }),
    projects: z.record(z.string(), ProjectSchema).default({}),
    approverGroups: z.record(z.string(), ApproverGroupSchema).default({}),
    incidents: IncidentPolicySchema.default({ responderGroups: [], changeAccess: 'responders' }),
    api: z.object({ tokens: z.array(ApiTokenSchema).default([]) }).strict().default({ tokens: [] }),
    runbooks: z.object({ dirs: z.array(z.string()).default(['runbooks']) }).strict().default({ dirs: ['runbooks'] }),
    outbound: OutboundSchema.default({ allowHosts: [], privateHosts: [] }),
    store: StoreSchema.default({ poolSize: 4 }),
    worker: WorkerTuningSchema.default({ maxConcurrentActivityTaskExecutions: 100, maxConcurrentWorkflowTaskExecutions: 40, maxCachedWorkflows: 2000 }),
  })
  .strict();

export type SignalroomConfig = z.infer<typeof ConfigSchema>;
export type ConnectorConfig = z.infer<typeof ConnectorSchema>;
export type OrganizationConfig = z.infer<typeof OrganizationSchema>;
export type ChannelPermissions = z.infer<typeof ChannelPermissionsSchema>;
export type ApproverGroupConfig = z.infer<typeof ApproverGroupSchema>;
