/**
 * What every Slack activity shares: resolving the integration at run time,
 * mapping Slack's outcomes for Temporal, channel lookups and the connector's
 * channel permissions.
 */
import type { WebClient } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { channelMatches } from '../../core/slack/channel-names';
import { refusal, slackErrorOf, slackFailure } from '../../src/slack/errors';
import { IntegrationError, type ChannelAction, type Integration, type IntegrationRegistry } from '../../src/slack/integrations';

export interface SlackDeps {
  integrations: IntegrationRegistry;
}

const CHANNEL_CACHE_MS = 5 * 60_000;
/**
 * How long a workspace's user groups and people are remembered. usergroups.list and users.list
 * are tier-2 methods (about 20 calls a minute); a minute keeps a burst of handles to one call
 * while a change of membership still counts within a minute.
 */
const DIRECTORY_CACHE_MS = 60_000;

/** Slack's answers for a channel that is no longer there to post in. */
const GONE_CHANNEL = new Set(['channel_not_found', 'is_archived']);

/** A channel given by name (`#deploys`, `deploys`), not by id (`C0123…`). */
function isChannelName(ref: string): boolean {
  return !/^[CGD][A-Z0-9]{6,}$/.test(ref.trim());
}

/** The Slack error of a call already mapped for Temporal (type `Slack:<error>`). */
function failureSlackError(err: unknown): string | undefined {
  const type = err instanceof ApplicationFailure ? err.type : undefined;
  return type?.startsWith('Slack:') ? type.slice('Slack:'.length) : undefined;
}

export class SlackContext {
  private readonly botUserIds = new Map<string, string>();
  /**
   * Channel IDs by integration and name, for a few minutes. A channel can be
   * archived, deleted or recreated under its name meanwhile: see inChannel.
   */
  private readonly channelIds = new Map<string, { id: string; at: number }>();

  /** Directory lists by integration and list, shared by concurrent callers while loading. */
  private readonly directory = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly deps: SlackDeps) {}

  /** A directory list (user groups, people) of an integration, asked of Slack at most once a minute. */
  async directoryList<T>(integration: Integration, list: string, load: () => Promise<T>): Promise<T> {
    const key = `${integration.name}\u0000${list}`;
    const cached = this.directory.get(key);
    if (cached && Date.now() - cached.at < DIRECTORY_CACHE_MS) return cached.value as Promise<T>;
    const value = load();
    this.directory.set(key, { at: Date.now(), value });
    // A failed lookup is not remembered: the next attempt asks Slack again.
    value.catch(() => this.directory.get(key)?.value === value && this.directory.delete(key));
    return value;
  }

  webhookUrl(name: string): string {
    return this.deps.integrations.webhookUrl(name);
  }

  get registry(): IntegrationRegistry {
    return this.deps.integrations;
  }

  async integration(name: string): Promise<Integration> {
    try {
      return await this.deps.integrations.get(name);
    } catch (err) {
      if (err instanceof IntegrationError) throw refusal(`Signalroom:${err.code}`, err.message);
      throw err;
    }
  }

  /** Calls Slack and turns any failure into the right Temporal failure. */
  async call<T>(integration: Integration, method: string, doing: string, fn: (client: WebClient) => Promise<T>): Promise<T> {
    try {
      return await fn(integration.client);
    } catch (err) {
      throw slackFailure(err, { method, integration: integration.name, doing });
    }
  }

  /**
   * Reads a channel (conversations.history or .replies). Slack lets a bot post
   * to a public channel it is not in (chat:write.public) but refuses to let it
   * read one (not_in_channel): then the bot joins (channels:join) and reads.
   */
  async readChannel<T>(integration: Integration, channel: { id: string; name: string }, method: string, doing: string, fn: (client: WebClient) => Promise<T>): Promise<T> {
    try {
      return await fn(integration.client);
    } catch (err) {
      if (slackErrorOf(err) !== 'not_in_channel') throw slackFailure(err, { method, integration: integration.name, doing });
    }
    await this.call(integration, 'conversations.join', `joining #${channel.name || channel.id} to read it (${doing})`, (c) => c.conversations.join({ channel: channel.id }));
    return this.call(integration, method, doing, fn);
  }

  async botUserId(integration: Integration): Promise<string> {
    const known = this.botUserIds.get(integration.name);
    if (known) return known;
    const auth = await this.call(integration, 'auth.test', 'identifying the bot', (c) => c.auth.test());
    this.botUserIds.set(integration.name, String(auth.user_id));
    return String(auth.user_id);
  }

  /**
   * A channel reference as runbooks write it (`C0123`, `#deploys`, `deploys`)
   * to its ID and name.
   */
  async resolveChannel(integration: Integration, ref: string): Promise<{ id: string; name: string }> {
    const trimmed = ref.trim();
    if (!isChannelName(trimmed)) {
      if (integration.kind === 'organization') return { id: trimmed, name: '' };
      const info = await this.call(integration, 'conversations.info', `looking up channel ${trimmed}`, (c) => c.conversations.info({ channel: trimmed }));
      return { id: trimmed, name: String(info.channel?.name ?? '') };
    }
    const name = trimmed.replace(/^#/, '');
    // conversations.list is a tier-2 method (20 calls a minute): remember names we resolved.
    const cacheKey = `${integration.name}\u0000${name}`;
    const cached = this.channelIds.get(cacheKey);
    if (cached && Date.now() - cached.at < CHANNEL_CACHE_MS) return { id: cached.id, name };
    const found = await this.findChannelByName(integration, name);
    if (!found) {
      throw refusal('Slack:channel_not_found', `Channel #${name} does not exist (or the bot cannot see it) in the workspace of ${integration.name}: validate the channel name, or invite the bot to private channels`);
    }
    this.channelIds.set(cacheKey, { id: String(found.id), at: Date.now() });
    return { id: String(found.id), name };
  }

  /** Forgets the id remembered for a channel name. */
  forgetChannel(integration: Integration, ref: string): void {
    this.channelIds.delete(`${integration.name}\u0000${ref.trim().replace(/^#/, '')}`);
  }

  /**
   * Resolves a channel reference (checking the connector's permission for
   * `action`, when given) and runs `use` with it. A channel named (not given
   * by id) that Slack says is gone (`channel_not_found`) or archived
   * (`is_archived`) may have been recreated under its name since it was
   * remembered: the name is looked up again, once, and `use` runs again only
   * when it now names another channel.
   */
  async inChannel<T>(integration: Integration, ref: string, action: ChannelAction | undefined, use: (channel: { id: string; name: string }) => Promise<T>): Promise<T> {
    const resolve = () => (action ? this.permittedChannel(integration, ref, action) : this.resolveChannel(integration, ref));
    const channel = await resolve();
    try {
      return await use(channel);
    } catch (err) {
      if (!isChannelName(ref) || !GONE_CHANNEL.has(slackErrorOf(err) ?? failureSlackError(err) ?? '')) throw err;
      this.forgetChannel(integration, ref);
      const again = await resolve();
      if (again.id === channel.id) throw err;
      return use(again);
    }
  }

  async findChannelByName(integration: Integration, name: string) {
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const res = await this.call(integration, 'conversations.list', `looking up #${name}`, (c) =>
        c.conversations.list({ types: 'public_channel,private_channel', exclude_archived: false, limit: 1000, cursor }),
      );
      const match = res.channels?.find((ch) => ch.name === name);
      if (match) return match;
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  /** Fails before reaching Slack when a connector may not do `action` in `channelName`. */
  checkPermission(integration: Integration, action: ChannelAction, channelName: string): void {
    if (integration.kind === 'organization') return;
    const patterns = integration.channels[action];
    if (patterns.some((p) => channelMatches(p, channelName))) return;
    const verb = { create: 'create', post: 'post to', archive: 'archive' }[action];
    throw refusal(
      'Signalroom:channel_not_permitted',
      `Integration ${integration.name} may not ${verb} #${channelName || '(unknown)'}: its channels.${action} permission allows only ${patterns.map((p) => `"${p}"`).join(', ') || 'nothing'}`,
    );
  }

  /** Resolves a channel and checks the connector's permission for it. */
  async permittedChannel(integration: Integration, ref: string, action: ChannelAction): Promise<{ id: string; name: string }> {
    const channel = await this.resolveChannel(integration, ref);
    this.checkPermission(integration, action, channel.name);
    return channel;
  }
}
