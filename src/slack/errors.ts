/**
 * Turns every Slack outcome into what Temporal should do next (docs/ARCHITECTURE.md, "The path of a runbook step"):
 * a 429 retries after its Retry-After (as does a call the worker's pacer held
 * back, after its turn: src/slack/pacer.ts), 5xx and network errors retry with
 * backoff, and anything else fails for good with a message that tells the
 * operator what to fix.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode, type WebAPICallResult } from '@slack/web-api';

/** Slack platform errors that are Slack's trouble, not ours: retry them. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'rate_limited', 'team_added_to_org', 'org_login_required']);

/** What the document's troubleshooting list says to check, per Slack error. */
const ADVICE: Record<string, string> = {
  not_authed: 'no token was sent: configure the bot token for this integration',
  invalid_auth: 'the token is not valid: verify the OAuth token (reinstall the app or fix the configured botToken)',
  token_revoked: 'the token was revoked: reinstall the Slack app (Connect Slack) or configure a new token',
  token_expired: 'the token expired: reinstall the Slack app or rotate the token',
  account_inactive: 'the token was revoked or its user or workspace deactivated: reinstall the app (Connect Slack) or configure a new token, and confirm workspace access',
  not_allowed_token_type: 'this method needs another token type: use a bot token (xoxb-)',
  channel_not_found: 'the channel does not exist or the bot cannot see it: validate the channel name/ID and invite the bot to private channels',
  not_in_channel: 'the bot is not a member of the channel: invite the bot (/invite @app); chat:write.public lets it post to public channels without joining, but reading one (the lookup a retry makes) needs membership, which it gets by joining with channels:join',
  is_archived: 'the channel is archived: unarchive it or use another channel',
  name_taken: 'a channel with this name already exists (archived channels count too): pick another name',
  invalid_name: 'the channel name breaks Slack naming rules: lowercase letters, digits, - and _ only',
  invalid_name_specials: 'the channel name has characters Slack refuses: lowercase letters, digits, - and _ only',
  invalid_name_punctuation: 'the channel name is only punctuation: include letters or digits',
  invalid_name_maxlength: 'the channel name is longer than 80 characters',
  invalid_name_required: 'the channel name is empty',
  restricted_action: 'a workspace policy forbids this action for the bot: check the workspace settings and bot permissions',
  cannot_create_channel: 'Slack refused to create the channel: check the workspace channel limits and bot permissions',
  invalid_blocks: 'Slack rejected the Block Kit blocks: check the message formatting (limits: 50 blocks, 3000 characters of section text)',
  invalid_blocks_format: 'the blocks are not a JSON array of Block Kit blocks: check the message formatting',
  msg_too_long: 'the message text is too long: shorten it',
  msg_blocks_too_long: 'the blocks are too long: shorten the message',
  no_text: 'the message has neither text nor blocks',
  user_not_found: 'a user to invite does not exist in this workspace',
  users_not_found: 'no Slack user has this email in this workspace',
  cant_invite_self: 'the bot cannot invite itself',
  message_not_found: 'the message no longer exists',
  cant_update_message: 'Slack will not let this app update the message: its channel is archived, or another app or person posted it',
  already_archived: 'the channel is already archived',
  time_in_past: 'the scheduled time is in the past',
  time_too_far: 'the scheduled time is more than 120 days ahead',
  no_such_subteam: 'the user group does not exist',
  expired_trigger_id: 'the trigger_id expired (they live 3 seconds): open the modal sooner after the click',
};

export interface SlackCallContext {
  /** The Slack method, e.g. chat.postMessage. */
  method: string;
  /** The integration's name (never its token). */
  integration: string;
  /** What was being done, for the message: "posting to #deploys". */
  doing?: string;
}

interface SlackishError {
  code?: string;
  data?: WebAPICallResult & { error?: string; needed?: string; provided?: string };
  retryAfter?: number;
  statusCode?: number;
  original?: Error;
  message: string;
}

/** Maps an error thrown by @slack/web-api to an ApplicationFailure for Temporal. */
export function slackFailure(err: unknown, ctx: SlackCallContext): ApplicationFailure {
  const e = err as SlackishError;
  const where = `${ctx.method} via ${ctx.integration}${ctx.doing ? ` (${ctx.doing})` : ''}`;
  switch (e?.code) {
    case ErrorCode.RateLimitedError: {
      const seconds = retryAfterSeconds(e);
      if ((e as { heldBack?: boolean }).heldBack) {
        // Not sent: this worker paces the limit (src/slack/pacer.ts) and the call's turn is later than it may wait.
        return ApplicationFailure.create({
          type: 'SlackRateLimited',
          message: `Held back ${where}: Slack's rate limit is spoken for by earlier calls; retrying in ${seconds}s, at its turn`,
          nextRetryDelay: `${seconds}s`,
        });
      }
      return ApplicationFailure.create({
        type: 'SlackRateLimited',
        message: `Slack rate-limited ${where}; retrying after ${seconds}s as Slack asked (Retry-After)`,
        nextRetryDelay: `${seconds}s`,
      });
    }
    case ErrorCode.HTTPError:
      if ((e.statusCode ?? 0) >= 500 || e.statusCode === 408) {
        return ApplicationFailure.retryable(`Slack answered HTTP ${e.statusCode} to ${where}; retrying`, 'SlackUnavailable');
      }
      return ApplicationFailure.nonRetryable(`Slack answered HTTP ${e.statusCode} to ${where}`, 'SlackHttpError');
    case ErrorCode.RequestError:
      return ApplicationFailure.retryable(`Could not reach Slack for ${where}: ${e.original?.message ?? e.message}; retrying`, 'SlackUnreachable');
    case ErrorCode.PlatformError: {
      const slackError = String(e.data?.error ?? 'unknown_error');
      if (TRANSIENT_PLATFORM_ERRORS.has(slackError)) {
        return ApplicationFailure.retryable(`Slack had a transient error (${slackError}) on ${where}; retrying`, 'SlackUnavailable');
      }
      let advice = ADVICE[slackError] ?? 'see https://api.slack.com/methods/' + ctx.method;
      if (slackError === 'missing_scope') {
        advice = `the bot token lacks the scope ${e.data?.needed ?? '(unknown)'} (it has: ${e.data?.provided ?? 'none'}): add it to the Slack app's bot scopes and reinstall`;
      }
      return ApplicationFailure.create({
        type: `Slack:${slackError}`,
        message: `Slack refused ${where}: ${slackError} — ${advice}`,
        nonRetryable: true,
        details: [{ slackError, method: ctx.method, integration: ctx.integration, needed: e.data?.needed, provided: e.data?.provided }],
      });
    }
    default: {
      // Timeouts from the HTTP layer surface without a Slack code.
      const message = (e as Error | undefined)?.message ?? String(err);
      if (isNetworkFailure(message)) {
        return ApplicationFailure.retryable(`Could not reach Slack for ${where}: ${message}; retrying`, 'SlackUnreachable');
      }
      return ApplicationFailure.nonRetryable(`Unexpected error on ${where}: ${message}`, 'SlackUnexpected');
    }
  }
}

/** The wait Slack asked for on a 429 (Retry-After), at least a second. */
function retryAfterSeconds(e: SlackishError): number {
  return Math.max(1, Number(e.retryAfter) || 1);
}

/** Timeouts and dropped connections from the HTTP layer surface without a Slack code. */
function isNetworkFailure(message: string): boolean {
  return /timeout|ECONNRESET|ECONNREFUSED|socket hang up|EPIPE|ETIMEDOUT/i.test(message);
}

/**
 * What became of one Slack call, as the usage metrics count it: `ok`, the
 * Slack error code, `rate_limited` (with the Retry-After Slack sent),
 * `http_error`, `unreachable` or `unexpected`. The same reading of Slack's
 * answer as slackFailure's, so the metrics and the timeline never disagree.
 */
export function slackCallOutcome(err?: unknown): { outcome: string; retryAfterSeconds?: number } {
  if (err === undefined) return { outcome: 'ok' };
  const e = err as SlackishError;
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return { outcome: 'rate_limited', retryAfterSeconds: retryAfterSeconds(e) };
    case ErrorCode.HTTPError:
      return { outcome: 'http_error' };
    case ErrorCode.RequestError:
      return { outcome: 'unreachable' };
    case ErrorCode.PlatformError:
      return { outcome: String(e.data?.error ?? 'unknown_error') };
    default:
      return { outcome: isNetworkFailure((e as Error | undefined)?.message ?? String(err)) ? 'unreachable' : 'unexpected' };
  }
}

/** The Slack error string of a platform error, or undefined. */
export function slackErrorOf(err: unknown): string | undefined {
  const e = err as SlackishError;
  return e?.code === ErrorCode.PlatformError ? String(e.data?.error) : undefined;
}

/** A refusal decided before reaching Slack (permissions, naming rules): never retried. */
export function refusal(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}
