/**
 * Channel activities. Each is safe to run twice: Temporal runs activities at
 * least once, and a retry after a lost response must not duplicate anything.
 */
import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { channelNameProblem, normalizeChannelName } from '../../core/slack/channel-names';
import { refusal, slackErrorOf, slackFailure } from '../../src/slack/errors';
import type { SlackContext } from './context';
import { resolveUserRefs } from './directory';

export interface CreateChannelInput {
  integration: string;
  /** The rendered name; normalized like Slack's UI (lower-case, spaces to hyphens). */
  name: string;
  isPrivate?: boolean;
  /** Channel purpose (the runbook's Description). */
  purpose?: string;
  /**
   * Epoch seconds when the incident began. A channel of the same name created
   * by this bot at or after it is this incident's (an earlier attempt whose
   * response was lost), anything else is a genuine name clash.
   */
  ownedSince: number;
}

export interface ChannelRef {
  id: string;
  name: string;
  /** True when this call found the channel an earlier attempt created. */
  existing?: boolean;
}

export interface InviteInput {
  integration: string;
  channel: string;
  /** Slack user IDs, `@user-group` handles and emails. */
  users: string[];
}

export interface InviteResult {
  invited: string[];
  alreadyMembers: string[];
  failed: Array<{ user: string; error: string }>;
}

export function createChannelActivities(slack: SlackContext) {
  return {
    async createChannel(input: CreateChannelInput): Promise<ChannelRef> {
      const integration = await slack.integration(input.integration);
      const name = normalizeChannelName(input.name);
      const problem = channelNameProblem(name, integration.channelNamePattern);
      if (problem) throw refusal('Signalroom:invalid_channel_name', `Cannot create channel for ${integration.name}: ${problem}`);
      slack.checkPermission(integration, 'create', name);

      let created: ChannelRef;
      try {
        const res = await integration.client.conversations.create({ name, is_private: input.isPrivate ?? false });
        created = { id: String(res.channel?.id), name };
      } catch (err) {
        if (slackErrorOf(err) !== 'name_taken') throw slackFailure(err, { method: 'conversations.create', integration: integration.name, doing: `creating #${name}` });
        created = await adoptOwnChannel(slack, input, name);
      }
      if (input.purpose) {
        await slack.call(integration, 'conversations.setPurpose', `setting the purpose of #${name}`, (c) =>
          c.conversations.setPurpose({ channel: created.id, purpose: input.purpose! }),
        );
      }
      return created;
    },

    async inviteUsers(input: InviteInput): Promise<InviteResult> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        // Each entry on its own: a lookup Slack does not answer holds up that entry only.
        const { userIds, failed, unanswered = [] } = await resolveUserRefs(slack, integration, input.users, { eachOnItsOwn: true });
        const members = await channelMembers(slack, integration, channel.id);
        const bot = await slack.botUserId(integration);
        const alreadyMembers = userIds.filter((u) => members.has(u));
        const toInvite = userIds.filter((u) => !members.has(u) && u !== bot);
        const invited: string[] = [];
        if (toInvite.length > 0) {
          try {
            await integration.client.conversations.invite({ channel: channel.id, users: toInvite.join(',') });
            invited.push(...toInvite);
          } catch (err) {
            const code = slackErrorOf(err);
            if (!code || ['not_in_channel', 'channel_not_found', 'is_archived', 'missing_scope', 'invalid_auth', 'not_authed', 'restricted_action'].includes(code)) {
              throw slackFailure(err, { method: 'conversations.invite', integration: integration.name, doing: `inviting to #${channel.name || channel.id}` });
            }
            // Some people spoiled the batch (already_in_channel after a lost
            // response or a join since the members were read, user_not_found,
            // cant_invite…) and Slack invited nobody. Its `errors` name each
            // person refused: record them, and invite the others in one call.
            let rest = toInvite;
            const refused = perPersonErrors(err);
            if (refused.length > 0) {
              for (const r of refused) {
                if (r.error === 'already_in_channel') alreadyMembers.push(r.user);
                else failed.push(r);
              }
              rest = toInvite.filter((u) => !refused.some((r) => r.user === u));
              if (rest.length > 0) {
                try {
                  await integration.client.conversations.invite({ channel: channel.id, users: rest.join(',') });
                  invited.push(...rest);
                  rest = [];
                } catch {
                  // Refused again (someone else changed meanwhile): one by one below says who.
                }
              }
            }
            // Without Slack's entries (or refused again): one by one, to report each person's outcome.
            for (const user of rest) {
              try {
                await integration.client.conversations.invite({ channel: channel.id, users: user });
                invited.push(user);
              } catch (one) {
                const oneCode = slackErrorOf(one);
                if (oneCode === 'already_in_channel') alreadyMembers.push(user);
                else if (oneCode) failed.push({ user, error: oneCode });
                else throw slackFailure(one, { method: 'conversations.invite', integration: integration.name, doing: `inviting ${user}` });
              }
            }
          }
        }
        if (unanswered.length > 0) {
          // Everyone who resolved is in; a retry (Temporal's, after Slack's Retry-After) resolves the rest
          // and finds these as members already.
          const first = unanswered[0].failure;
          throw ApplicationFailure.create({
            type: first.type ?? undefined,
            message: `Could not resolve ${unanswered.map((u) => u.user).join(', ')} (${first.message})${invited.length ? `; invited ${invited.join(', ')}` : ''}`,
            nonRetryable: false,
            nextRetryDelay: first.nextRetryDelay ?? undefined,
          });
        }
        return { invited, alreadyMembers, failed };
      });
    },

    async setChannelTopic(input: { integration: string; channel: string; topic: string }): Promise<void> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        await slack.call(integration, 'conversations.setTopic', `setting the topic of #${channel.name || channel.id}`, (c) =>
          c.conversations.setTopic({ channel: channel.id, topic: input.topic }),
        );
      });
    },

    async setChannelPurpose(input: { integration: string; channel: string; purpose: string }): Promise<void> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        await slack.call(integration, 'conversations.setPurpose', `setting the purpose of #${channel.name || channel.id}`, (c) =>
          c.conversations.setPurpose({ channel: channel.id, purpose: input.purpose }),
        );
      });
    },

    async pinMessage(input: { integration: string; channel: string; ts: string }): Promise<void> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        try {
          await integration.client.pins.add({ channel: channel.id, timestamp: input.ts });
        } catch (err) {
          if (slackErrorOf(err) === 'already_pinned') return; // a retry after a lost response
          throw slackFailure(err, { method: 'pins.add', integration: integration.name, doing: `pinning in #${channel.name || channel.id}` });
        }
      });
    },

    /**
     * Adds a link bookmark. Slack has no lookup among the methods Signalroom
     * uses, so a retry after a lost response may add the link twice; the
     * workflow calls it at most once per step.
     */
    async addBookmark(input: { integration: string; channel: string; title: string; link: string; emoji?: string }): Promise<void> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'post', async (channel) => {
        await slack.call(integration, 'bookmarks.add', `bookmarking ${input.link} in #${channel.name || channel.id}`, (c) =>
          c.bookmarks.add({ channel_id: channel.id, title: input.title, type: 'link', link: input.link, emoji: input.emoji }),
        );
      });
    },

    /** Is this person in the channel? (Who may close an incident's action items.) Read-only. */
    async isChannelMember(input: { integration: string; channel: string; user: string }): Promise<boolean> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, undefined, async (channel) => {
        return (await channelMembers(slack, integration, channel.id)).has(input.user);
      });
    },

    async archiveChannel(input: { integration: string; channel: string }): Promise<void> {
      const integration = await slack.integration(input.integration);
      return slack.inChannel(integration, input.channel, 'archive', async (channel) => {
        try {
          await integration.client.conversations.archive({ channel: channel.id });
        } catch (err) {
          if (slackErrorOf(err) === 'already_archived') return;
          throw slackFailure(err, { method: 'conversations.archive', integration: integration.name, doing: `archiving #${channel.name || channel.id}` });
        }
      });
    },
  };
}

async function adoptOwnChannel(slack: SlackContext, input: CreateChannelInput, name: string): Promise<ChannelRef> {
  const integration = await slack.integration(input.integration);
  const existing = await slack.findChannelByName(integration, name);
  const bot = await slack.botUserId(integration);
  const attempt = activityInfo().attempt;
  if (existing && existing.creator === bot && Number(existing.created) >= input.ownedSince && !existing.is_archived) {
    return { id: String(existing.id), name, existing: true };
  }
  const why = !existing
    ? 'it exists but the bot cannot see it (a private channel?)'
    : existing.is_archived
      ? 'an archived channel has that name (Slack keeps archived names taken)'
      : existing.creator !== bot
        ? 'someone else created it'
        : 'it was created before this incident began';
  throw refusal(
    'Slack:name_taken',
    `Channel #${name} already exists and is not this incident's (${why}; attempt ${attempt}): choose another name, e.g. include the incident id or a date`,
  );
}

/** The per-person entries of a refused conversations.invite (`errors: [{ user, ok: false, error }]`). */
function perPersonErrors(err: unknown): Array<{ user: string; error: string }> {
  const entries = (err as { data?: { errors?: unknown } }).data?.errors;
  if (!Array.isArray(entries)) return [];
  return entries
    .filter((e): e is { user: string; error: string } => typeof e?.user === 'string' && typeof e?.error === 'string')
    .map((e) => ({ user: e.user, error: e.error }));
}

async function channelMembers(slack: SlackContext, integration: Awaited<ReturnType<SlackContext['integration']>>, channel: string): Promise<Set<string>> {
  const members = new Set<string>();
  let cursor: string | undefined;
  do {
    const res = await slack.call(integration, 'conversations.members', 'listing channel members', (c) => c.conversations.members({ channel, limit: 1000, cursor }));
    for (const m of res.members ?? []) members.add(m);
    cursor = res.response_metadata?.next_cursor || undefined;
  } while (cursor);
  return members;
}
