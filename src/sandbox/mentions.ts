/**
 * What Slack would act on in a message: the mentions that notify people
 * (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^S…>`, `<@U…>`) and the
 * links with a label of their own (`<url|label>`), read from the text and
 * every mrkdwn text of the blocks the way Slack parses them: only a literal
 * `<…>` counts; an escaped `&lt;!channel&gt;` is text.
 */
import type { Message } from './state';

const TOKEN = /<(![a-z]+(?:\^[A-Z0-9]+)?|@[UW][A-Z0-9]+|#[CG][A-Z0-9]+|https?:\/\/[^|>]+\|[^>]*)(?:\|[^>]*)?>/g;

export interface SlackMarkup {
  /** `!channel`, `!here`, `!subteam^S123`, `@U0ALICE`, `#C0DEPLOYS`. */
  mentions: string[];
  /** `<url|label>` links: what the label shows and where it goes. */
  labelledLinks: Array<{ url: string; label: string }>;
}

export function markupIn(text: string): SlackMarkup {
  const out: SlackMarkup = { mentions: [], labelledLinks: [] };
  for (const m of text.matchAll(TOKEN)) {
    const inner = m[1];
    if (/^https?:/.test(inner)) {
      const [url, label] = inner.split('|');
      out.labelledLinks.push({ url, label });
    } else if (!inner.startsWith('!date')) out.mentions.push(inner);
  }
  return out;
}

function mrkdwnTexts(node: unknown, into: string[]): string[] {
  if (Array.isArray(node)) for (const n of node) mrkdwnTexts(n, into);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') into.push(o.text);
    for (const v of Object.values(o)) if (v && typeof v === 'object') mrkdwnTexts(v, into);
  }
  return into;
}

/** The markup Slack would act on in a message's text and blocks. */
export function messageMarkup(message: Pick<Message, 'text' | 'blocks'>): SlackMarkup {
  const all = [message.text ?? '', ...mrkdwnTexts(message.blocks ?? [], [])].map(markupIn);
  return { mentions: all.flatMap((m) => m.mentions), labelledLinks: all.flatMap((m) => m.labelledLinks) };
}
