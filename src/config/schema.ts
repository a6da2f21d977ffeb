/**
 * The configuration file (signalroom.yaml), as a zod schema. Secrets appear
 * here only as `${ENV}` references resolved at load time; they never leave
 * the process that loaded them (workflows carry integration names only).
 */
import { USER_ID } from '../../core/slack/mrkdwn';
import { z } from 'zod';
import { hostRuleProblem } from '../net/host-rules';
import { parseDuration } from '../../core/runbook/duration';

/** A Slack channel name pattern: `inc-*`, `deploys`, or `*` for any. */
const channelPattern = z.string().min(1).regex(/^[a-z0-9_\-*]+$/, 'a channel pattern uses lowercase letters, digits, - _ and * only (no #)');

/** A Slack user id, by the one pattern for it (core/slack/mrkdwn.ts). */
const SlackUserId = z.string().max(32).regex(USER_ID, 'a Slack user id like U0123ABCD');

export const ChannelPermissionsSchema = z
  .object({
    create: z.array(channelPattern).default(['*']).describe('Channel names (patterns) the integration may create. @default [\'*\']'),
    post: z.array(channelPattern).default(['*']).describe('Channel names (patterns) the integration may post to, update, pin, bookmark and invite into. @default [\'*\']'),
    archive: z.array(channelPattern).default(['*']).describe('Channel names (patterns) the integration may archive. @default [\'*\']'),
  })
  .strict();

export const BotSettingsSchema = z
  .object({
    username: z.string().min(1).max(80).optional().describe('Display name for messages (needs chat:write.customize).'),
    iconEmoji: z.string().regex(/^:[a-z0-9_+-]+:$/, 'an emoji like :rotating_light:').optional().describe('Icon for messages, as an emoji like `:rotating_light:` (needs chat:write.customize).'),
    iconUrl: z.string().url().optional().describe('Icon for messages, as an image URL (needs chat:write.customize).'),
  })
  .strict();

const SlackAppFields = {
  botToken: z.string().min(1).optional().describe('Bot token (xoxb-…); usually `${SLACK_BOT_TOKEN}`.'),
  signingSecret: z.string().min(1).optional().describe('The Slack app\'s signing secret, to verify clicks.'),
  apiUrl: z.string().url().optional().describe('Slack Web API base URL. @default https://slack.com/api/ (GovSlack: https://slack-gov.com/api/)'),
  channelNamePattern: z.string().optional().describe('Channel-name convention enforced before any conversations.create, as a regex.'),
  appId: z.string().regex(/^A[A-Z0-9]+$/, 'a Slack app id like A0123ABCD').optional().describe('The Slack app\'s id (`A0123…`, the `api_app_id` of its requests). With it, a click or command is verified with this app\'s signing secret only.'),
};

const TeamId = z.string().regex(/^T[A-Z0-9]+$/, 'a Slack team id like T0123ABCD');
const EnterpriseId = z.string().regex(/^E[A-Z0-9]+$/, 'a Slack enterprise id like E0123ABCD');

export const OrganizationSchema = z
  .object({
    ...SlackAppFields,
    clientId: z.string().min(1).optional().describe('OAuth ("Connect Slack"): client id, secret and state secret of the Slack app.'),
    clientSecret: z.string().min(1).optional().describe('OAuth: the Slack app\'s client secret; usually `${SLACK_CLIENT_SECRET}`.'),
    stateSecret: z.string().min(8).optional().describe('OAuth: a secret of your choosing (8 characters or more) that signs the install\'s state.'),
    teamId: TeamId.optional().describe('The organization\'s workspace. Pins the integration: an OAuth install from any other workspace is refused, and clicks must come from it. @default the first workspace installed through OAuth (recorded)'),
    enterpriseId: EnterpriseId.optional().describe('The organization\'s Enterprise Grid (org-wide installs).'),
  })
  .strict();

export const ConnectorSchema = z
  .object({
    ...SlackAppFields,
    botToken: z.string().min(1).describe('The connector app\'s bot token (xoxb-…); usually `${PAYMENTS_SLACK_BOT_TOKEN}` or the like.'),
    teamId: TeamId.optional().describe('The workspace this connector\'s app is installed in: its clicks must come from it.'),
    enterpriseId: EnterpriseId.optional().describe("The Enterprise Grid this connector's app is installed in."),
    channels: ChannelPermissionsSchema.default({ create: ['*'], post: ['*'], archive: ['*'] }).describe('Which channels this connector may touch.'),
    bot: BotSettingsSchema.optional().describe('How messages from this connector look: name and icon.'),
  })
  .strict();

export const ProjectSchema = z
  .object({
    connector: z.string().optional().describe('The connector this project\'s runbooks and approvals use by default.'),
    connectors: z.array(z.string()).optional().describe('Connectors the project may name explicitly. @default its `connector` only'),
    allowOrganization: z.boolean().optional().describe('May the project fall back to the organization-level integration? @default true when it has no connector'),
  })
  .strict();

export const ApproverGroupSchema = z
  .object({
    users: z.array(SlackUserId).default([]).describe('Slack user IDs.'),
    emails: z.array(z.string().email()).default([]).describe('Emails of approvers, resolved to Slack users when a request starts.'),
    userGroups: z.array(z.string().regex(/^@?[a-z0-9._-]+$/, 'a user-group handle like @release-managers')).default([]).describe('Slack user-group handles (`@release-managers`), resolved when a request starts.'),
    allowSelfApproval: z.boolean().default(false).describe('Policy, never a request field: may the person who requested a run approve it, when this group is asked? A request may only be stricter. @default false'),
    allowApproveOnTimeout: z.boolean().default(false).describe('May a request asking this group be approved when nobody decides in time? @default false'),
    integrations: z
      .array(z.string().regex(/^(organization|connector:[a-z0-9][a-z0-9_-]*)$/, 'organization or connector:<name>'))
      .min(1, 'name at least one integration (organization, or connector:<name>)')
      .default(['organization'])
      .describe(
        "The integrations that may carry this group's approval cards (`organization`, `connector:<name>`). Whoever holds an integration's signing secret can claim any user on the cards it carries, so a connector listed here is trusted with this group's decisions (SECURITY.md).",
      ),
  })
  .strict();

/**
 * Every permission an API token can hold. A token acts as its own `slackUser`;
 * `approvals:decide-as-anyone` lets it name the user who decides or cancels an
 * approval, `incidents:write-as-anyone` the user who opens, updates, changes
 * or resolves an incident or its action items.
 */
export const API_PERMISSIONS = ['approvals:read', 'approvals:write', 'approvals:decide', 'approvals:decide-as-anyone', 'runbooks:read', 'runbooks:run', 'incidents:read', 'incidents:write', 'incidents:write-as-anyone', 'freezes:read', 'freezes:write', 'integrations:install', '*'] as const;

export const ApiTokenSchema = z
  .object({
    name: z.string().min(1).describe('The token\'s name, recorded with every write it makes (`by.token`).'),
    token: z.string().min(16, 'API tokens must be at least 16 characters').describe('The secret a caller sends as `Authorization: Bearer …`, at least 16 characters; usually `${SIGNALROOM_API_TOKEN}`.'),
    permissions: z.array(z.enum(API_PERMISSIONS)).default([]).describe('What the token may do. @default none: a token is given its permissions explicitly'),
    slackUser: SlackUserId.optional().describe('The Slack user this token decides as. A token without it may decide only with `approvals:decide-as-anyone`, naming the user on each call.'),
  })
  .strict();

/**
 * Where the installation store keeps Slack OAuth installations and install
 * links: a PostgreSQL of its own setting, apart from any Temporal cluster's
 * (README, "Environment").
 */
export const StoreSchema = z
  .object({
    databaseUrl: z.string().min(1).optional().describe('A `postgres://` URL. @default $SIGNALROOM_DATABASE_URL, else $DATABASE_URL, else files under the data folder'),
    poolSize: z.number().int().min(1).max(50).default(4).describe('Connections each Signalroom process may open to it. @default 4'),
  })
  .strict();

export const WorkerTuningSchema = z
  .object({
    // Defaults fit a 2-core machine: Slack calls are I/O-bound, so many
    // activities may wait at once, while workflow tasks are CPU-bound.
    // Bounded like every number Signalroom reads (SECURITY.md): a typo of extra zeros is refused on load, not sized into the worker.
    maxConcurrentActivityTaskExecutions: z.number().int().positive().max(10_000).default(100).describe('Slack calls and other activities one worker runs at once.'),
    maxConcurrentWorkflowTaskExecutions: z.number().int().positive().max(1_000).default(40).describe('Workflow tasks one worker runs at once.'),
    maxCachedWorkflows: z.number().int().nonnegative().max(100_000).default(2000).describe('Workflows a worker keeps in memory between their tasks.'),
  })
  .strict();

/**
 * An incoming webhook: its URL, or the URL and the integration whose Slack app
 * owns it (clicks on its cards are verified as that app's). @default owner: organization
 */
export const WebhookSchema = z.union([
  z.string().url(),
  z
    .object({
      url: z.string().url().describe("The incoming webhook's URL (a secret): usually `${DEPLOYS_WEBHOOK_URL}`."),
      integration: z
        .string()
        .regex(/^(organization|connector:[a-z0-9][a-z0-9_-]*)$/, 'organization or connector:<name>')
        .default('organization')
        .describe('The integration whose Slack app owns the webhook: clicks on its cards are verified as that app\'s.'),
    })
    .strict(),
]).describe('An incoming webhook: its URL, or `{url, integration}`.');

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
    allowHosts: z.array(outboundHost(true)).default([]).describe('When given, the only hosts called besides Slack\'s own: `host`, `host:port` or `*.domain`. @default any public host'),
    privateHosts: z.array(outboundHost(false)).default([]).describe('Hosts that may resolve to a loopback, private (RFC 1918), unique-local or CGNAT address, e.g. an internal dashboard (`grafana.internal:3000`). Link-local and cloud-metadata addresses are never called. @default none'),
  })
  .strict();

/** A GitHub login (a user's, or an App's bot such as `dependabot[bot]`). */
const GitHubLogin = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/, 'a GitHub login like octocat');

/** A duration like `30m`, `4h`, `1h30m` (core/runbook/duration.ts). */
const durationText = z.string().superRefine((text, ctx) => {
  try {
    if (parseDuration(text) < 1000) ctx.addIssue({ code: 'custom', message: `"${text}" is shorter than a second` });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** What a deployment to one environment of one repository needs: the approval GitHub waits on. */
export const GitHubGatePolicySchema = z
  .object({
    approverGroups: z.array(z.string().min(1)).min(1, 'name at least one approver group').describe('Approver groups (under `approverGroups`) that decide a deployment to this environment.'),
    minApprovals: z.number().int().min(1).max(50).optional().describe('Approvals needed overall. @default 1'),
    channel: z.string().min(1).max(80).describe('Where the approval card goes: `#deploys` or a channel id.'),
    project: z.string().min(1).optional().describe('The project whose integration posts the card (under `projects`). @default the organization integration'),
    connector: z.string().min(1).optional().describe('The connector that posts the card (under `slack.connectors`), where the project allows it.'),
    timeout: durationText.optional().describe('How long people have to decide, like `4h` (GitHub holds the job up to 30 days). @default the approvals\' default'),
    onTimeout: z.enum(['reject', 'approve']).optional().describe('What a timeout means: `reject`, or `approve` where every approver group allows it (`allowApproveOnTimeout`). @default reject'),
    rejectionNeedsReason: z.boolean().optional().describe('Does a rejection need a reason (asked in a modal)? @default false'),
  })
  .strict();

export const GitHubAppSchema = z
  .object({
    appId: z.coerce.number().int().positive().describe('The GitHub App\'s id (its settings page, "App ID").'),
    privateKey: z.string().min(1).describe('The App\'s private key: the path of the `.pem` file GitHub downloads, or the PEM itself as `${GITHUB_APP_PRIVATE_KEY}`. Read by the worker only; never in a workflow history.'),
    webhookSecret: z.string().min(16, 'a webhook secret of at least 16 characters').describe('The App\'s webhook secret, to verify `X-Hub-Signature-256`; usually `${GITHUB_WEBHOOK_SECRET}`.'),
    apiUrl: z.string().url().default('https://api.github.com').describe('The REST API\'s base URL: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server. @default https://api.github.com'),
    installations: z.array(z.number().int().positive()).min(1, 'name at least one installation id').describe('The installations (ids, from the installation\'s settings URL) whose deliveries are accepted; any other is refused with 401.'),
    repositories: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'a repository as owner/name'),
        z.record(z.string().min(1).max(255), GitHubGatePolicySchema.describe('The approval a deployment to this environment waits on.')).describe('Environments by name (as in the repository\'s settings) that this App gates.'),
      )
      .default({})
      .describe('Repositories (`owner/name`) whose deployments this App gates, each with its environments. A delivery for any other repository or environment starts nothing, and its answer says why.'),
  })
  .strict();

export const GitHubSchema = z
  .object({
    apps: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'GitHub app names use lowercase letters, digits, - and _'), GitHubAppSchema.describe('A GitHub App with a custom deployment protection rule: its credentials and what it gates.'))
      .default({})
      .describe('GitHub Apps by name (README, "Gate GitHub deployments").'),
    users: z
      .record(GitHubLogin, z.union([SlackUserId, z.string().email()]).describe('The Slack user id (`U0123ABCD`) or email of the person with this GitHub login.'))
      .default({})
      .describe('GitHub logins mapped to Slack users (a user id or an email): who triggered a deployment requested it, and may not approve it alone. An unmapped login is shown as a GitHub login and matched to nobody.'),
  })
  .strict();

export const IncidentPolicySchema = z
  .object({
    responderGroups: z.array(z.string()).default([]).describe('Approver groups whose members may open, update, change the severity of and resolve incidents from the slash command, and close action items with their Done buttons. @default none'),
    changeAccess: z.enum(['responders', 'channel-members']).default('responders').describe('Who else may change an incident (update, severity, resolve, action items) from Slack: `responders` — only the people the incident added itself (its runbook\'s Create Channel and Add Users steps, and whoever opened it, as Signalroom recorded them); `channel-members` — anyone in the incident\'s channel, including whoever joined a public one. @default responders'),
  })
  .strict();

export type IncidentPolicy = z.infer<typeof IncidentPolicySchema>;

/** A stage or service name as a hold, a freeze or a request names it. */
const DeployName = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$|^\*$/, 'letters, digits, . _ : / - (or * for any)');

export const IncidentHoldRuleSchema = z
  .object({
    severities: z.array(z.string().min(1).max(32)).min(1).max(20).describe('Severities that hold, e.g. `[SEV1, SEV2]`.'),
    stages: z.array(DeployName).min(1).max(50).describe('Stages held, e.g. `[production]`, or `[\'*\']`.'),
    services: z
      .array(z.union([z.literal('[incident.service]'), DeployName]))
      .min(1)
      .max(200)
      .describe('Services held: names, `*`, or `[incident.service]` for the incident\'s own service.'),
  })
  .strict();

export const BreakGlassSchema = z
  .object({
    groups: z.array(z.string().min(1)).min(1, 'name at least one approver group').max(20).describe('Approver groups whose members may override a hold or a freeze, with a reason.'),
    reviewers: z.array(z.string().min(1)).min(1, 'name at least one approver group').max(20).describe('Approver groups whose members sign off the review a break-glass opens.'),
    reviewChannel: z.string().min(1).max(80).optional().describe('Where the review is posted and reminded (`#change-review` or a channel id). @default the approval card\'s channel'),
    remindEvery: durationText.default('1d').describe('How often the reviewers are reminded until one signs the review off. @default 1d'),
  })
  .strict();

export const DeploysSchema = z
  .object({
    holds: z.array(IncidentHoldRuleSchema.describe('What an open incident of these severities holds.')).max(50).default([]).describe('What an open incident holds (README, "Deploys and incidents"). @default none'),
    whileHeld: z
      .enum(['pause', 'run'])
      .default('pause')
      .describe('An approval\'s timeout while it is held: `pause` stops its clock until the hold lifts (its deadline moves by the time held); `run` lets it expire held (exit code 6). @default pause'),
    exceptionGroups: z.array(z.string().min(1)).max(20).default([]).describe('Approver groups whose members may grant an exception to any hold, beside an incident\'s commander. @default none'),
    freezeGroups: z.array(z.string().min(1)).max(20).default([]).describe('Approver groups whose members may create and end freezes from Slack (`/signalroom freeze`). @default none'),
    breakGlass: BreakGlassSchema.optional().describe('Who may override a hold or freeze, and who reviews it afterwards. @default none: nobody may'),
  })
  .strict();

export type DeploysPolicy = z.infer<typeof DeploysSchema>;

export const ConfigSchema = z
  .object({
    slack: z
      .object({
        organization: OrganizationSchema.optional().describe('The organization-level Slack integration: one workspace (or Grid) for all, by bot token or OAuth install.'),
        webhooks: z.record(z.string(), WebhookSchema).default({}).describe('Incoming-webhook URLs by name (the approvals document\'s setup). Workflows carry the name; the URL, a secret, stays in configuration.'),
        connectors: z
          .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'connector names use lowercase letters, digits, - and _'), ConnectorSchema.describe('A connector: a project-scoped Slack app with its own token and channel permissions.'))
          .default({})
          .describe('Connector-based integrations by name.'),
      })
      .strict()
      .default({ connectors: {}, webhooks: {} })
      .describe('Slack: the organization integration, connectors and incoming webhooks.'),
    projects: z.record(z.string(), ProjectSchema.describe('A project: which integration its runbooks and approvals use.')).default({}).describe('Projects by name (a runbook or request names its project).'),
    approverGroups: z.record(z.string(), ApproverGroupSchema.describe('An approver group: who may decide, and the policy for requests asking it.')).default({}).describe('Approver groups by name.'),
    deploys: DeploysSchema.default({ holds: [], whileHeld: 'pause', exceptionGroups: [], freezeGroups: [] }).describe('Deploys and incidents: what an open incident holds, freezes, exceptions and break-glass.'),
    incidents: IncidentPolicySchema.default({ responderGroups: [], changeAccess: 'responders' }).describe('Who may drive incidents from Slack.'),
    api: z
      .object({ tokens: z.array(ApiTokenSchema.describe('One API token.')).default([]).describe('Tokens for `/api/v1` (`Authorization: Bearer …`).') })
      .strict()
      .default({ tokens: [] })
      .describe('The HTTP API.'),
    runbooks: z
      .object({ dirs: z.array(z.string()).default(['runbooks']).describe('Folders of runbook YAML files, relative to where Signalroom runs.') })
      .strict()
      .default({ dirs: ['runbooks'] })
      .describe('Where runbooks are read from.'),
    callbacks: z
      .object({
        signingSecret: z
          .string()
          .min(16, 'at least 16 characters')
          .optional()
          .describe('The secret every callback is signed with (HMAC-SHA256 over `<timestamp>.<body>`, in `X-Signalroom-Signature: v1=<hex>` with `X-Signalroom-Timestamp`); receivers verify with it. Give it as `${VAR}`. @default none: requests carrying a callback are refused'),
      })
      .strict()
      .default({})
      .describe('Approval callbacks: the outcome POSTed to a request\'s `callback` URL once decided (README, "Pipelines"), through the outbound client.'),
    outbound: OutboundSchema.default({ allowHosts: [], privateHosts: [] }).describe('Where Signalroom may call on someone\'s behalf (SECURITY.md, "Outbound calls go through one client").'),
    store: StoreSchema.default({ poolSize: 4 }).describe('Where Slack OAuth installations and install links are kept.'),
    github: GitHubSchema.default({ apps: {}, users: {} }).describe('GitHub deployment protection rules decided in Slack: the Apps and who is who.'),
    worker: WorkerTuningSchema.default({ maxConcurrentActivityTaskExecutions: 100, maxConcurrentWorkflowTaskExecutions: 40, maxCachedWorkflows: 2000 }).describe('Worker tuning.'),
  })
  .strict();

export type SignalroomConfig = z.infer<typeof ConfigSchema>;
export type ConnectorConfig = z.infer<typeof ConnectorSchema>;
export type OrganizationConfig = z.infer<typeof OrganizationSchema>;
export type ChannelPermissions = z.infer<typeof ChannelPermissionsSchema>;
export type ApproverGroupConfig = z.infer<typeof ApproverGroupSchema>;
export type GitHubConfig = z.infer<typeof GitHubSchema>;
export type GitHubAppConfig = z.infer<typeof GitHubAppSchema>;
export type GitHubGatePolicy = z.infer<typeof GitHubGatePolicySchema>;
