/**
 * The one rule for putting text from outside into Slack: it is data, never
 * markup. Slack reads `<…>` in message text and mrkdwn blocks as mentions
 * (`<!channel>`, `<!here>`, `<!subteam^S…>`, `<@U…>`) and links
 * (`<https://evil.example|https://status.example.com>`), and `&` starts an
 * entity; Slack's own documentation asks apps to escape exactly `&`, `<` and
 * `>`. Every interpolated value goes through `escapeMrkdwn`; mentions and
 * links are built only here, by code, from ids and URLs checked here.
 * Pure (the workflows import it).
 */

/** Escapes `&`, `<` and `>` as Slack documents; nothing else (so `*bold*` written by a person stays theirs to format). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack user id (`U…`, or `W…` on Enterprise Grid): the one pattern for it. */
const USER_ID_SOURCE = '[UW][A-Z0-9]{2,}';
export const USER_ID = new RegExp(`^${USER_ID_SOURCE}$`);
/** `<@U…>` or `<@U…|name>`, as Slack writes a mention; the id is group 1. */
export const USER_MENTION = new RegExp(`^<@(${USER_ID_SOURCE})(?:\\|[^>]*)?>$`);
export const USER_GROUP_ID = /^S[A-Z0-9]{2,}$/;
export const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** `<@U…>` for a Slack user id; anything else is shown as (escaped) text. */
export function userMention(who: string): string {
  return USER_ID.test(who) ? `<@${who}>` : escapeMrkdwn(who);
}

/** `<!subteam^S…>` for a Slack user-group id; anything else is shown as (escaped) text. */
export function userGroupMention(id: string): string {
  return USER_GROUP_ID.test(id) ? `<!subteam^${id}>` : escapeMrkdwn(id);
}

/** `<#C…>` for a Slack channel id; anything else is shown as (escaped) text. */
export function channelLink(id: string): string {
  return CHANNEL_ID.test(id) ? `<#${id}>` : escapeMrkdwn(id);
}

/**
 * Why a link given from outside cannot be shown as a link, or undefined when
 * it can: an absolute http(s) URL without whitespace, `|`, `<` or `>` (which
 * would let it carry its own label: `<https://evil.example|https://status.example.com>`).
 */
export function linkProblem(url: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return 'a link must be an http:// or https:// URL';
  if (/[|<>\s]/.test(url)) return 'a link may not contain "|", "<", ">" or spaces';
  if (!/^https?:\/\/[^/?#]+/i.test(url)) return 'a link needs a host';
  return undefined;
}

/** A link with a label of our choosing; a URL that fails `linkProblem` is shown as (escaped) text instead. */
export function mrkdwnLink(url: string, label: string): string {
  if (linkProblem(url)) return escapeMrkdwn(url);
  return `<${url.replace(/&/g, '&amp;')}|${escapeMrkdwn(label)}>`;
}

/** A value that cannot stand where a runbook places it (a link target that is no link); the step fails naming it. */
export class MarkupValueError extends Error {
  readonly code = 'markup_value_refused';
}

/**
 * A value from outside, written into an author's mrkdwn at `position` (see
 * `positionAt` in core/runbook/template.ts): escaped as text; as a link's
 * whole target it must be an http(s) URL (else `!channel` in
 * `<[incident.dashboard]|…>` would make `<!channel|…>`); inside a link's
 * target it may not end the target or start a label.
 */
export function mrkdwnValue(text: string, name: string, position: 'text' | 'link' | 'in-link'): string {
  if (position === 'link') {
    const problem = linkProblem(text);
    if (problem) throw new MarkupValueError(`[${name}] is placed as a link but is not an http(s) URL: ${problem}`);
  } else if (position === 'in-link' && /[|<>\s]/.test(text)) {
    throw new MarkupValueError(`[${name}] is placed inside a link and may not contain "|", "<", ">" or spaces`);
  }
  return escapeMrkdwn(text);
}

/**
 * Slack mrkdwn as a terminal shows it: mentions as `@name` (the name when
 * `nameOf` knows it, else the id), channel links as `#C…`, links as
 * `label (url)`, dates as their fallback text, and entities unescaped.
 */
export function mrkdwnToPlain(text: string, nameOf: (id: string) => string | undefined = () => undefined): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `@${nameOf(id) ?? label ?? id}`)
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => label ?? `@${id}`)
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `#${label ?? id}`)
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(https?:[^|>]+)\|([^>]*)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Slack's localized date, with the ISO text as its fallback. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  if (!Number.isFinite(epoch)) return escapeMrkdwn(iso);
  return `<!date^${epoch}^${format}|${escapeMrkdwn(iso)}>`;
}
