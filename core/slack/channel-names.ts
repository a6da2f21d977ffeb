/**
 * Slack's channel-name rules, checked before conversations.create so a bad
 * name fails with a clear message instead of a Slack error code. Pure.
 */

/** Slack allows lowercase letters, digits, hyphens and underscores (and a few non-Latin letters, which we do not generate). */
const VALID = /^[a-z0-9_-]+$/;
export const MAX_CHANNEL_NAME = 80;

/**
 * Makes a rendered template a channel name the way Slack's own UI does:
 * lower-case, spaces become hyphens, a leading `#` is dropped. Anything else
 * Slack refuses is left for checkChannelName to report.
 */
export function normalizeChannelName(raw: string): string {
  return raw.trim().replace(/^#/, '').toLowerCase().replace(/\s+/g, '-');
}

/** Returns why Slack would refuse this name, or undefined when it is fine. */
export function channelNameProblem(name: string, convention?: string): string | undefined {
  if (!name) return 'the channel name is empty';
  if (name.length > MAX_CHANNEL_NAME) return `"${name}" is ${name.length} characters; Slack allows at most ${MAX_CHANNEL_NAME}`;
  if (!VALID.test(name)) {
    const bad = [...new Set(name.replace(/[a-z0-9_-]/g, ''))].join('');
    return `"${name}" has characters Slack refuses in channel names (${JSON.stringify(bad)}); use lowercase letters, digits, - and _`;
  }
  if (/^[-_]+$/.test(name)) return `"${name}" is only punctuation; Slack needs a letter or digit`;
  if (convention && !new RegExp(convention).test(name)) return `"${name}" does not follow this integration's channel naming convention /${convention}/`;
  return undefined;
}

/** Glob match for channel permission patterns: `inc-*`, `*`. */
export function channelMatches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}
