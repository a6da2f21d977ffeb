/**
 * Emoji shortcodes as Slack names them (`:white_check_mark:` → ✅), for the
 * sandbox page: Slack renders shortcodes in messages, so the page does too.
 * The names are emojibase's `iamcal` set, the emoji-data names Slack uses.
 */
import compact from 'emojibase-data/en/compact.json';
import shortcodes from 'emojibase-data/en/shortcodes/iamcal.json';

let table: Record<string, string> | undefined;

/** Every shortcode (without colons) and the emoji it shows. */
export function slackEmoji(): Record<string, string> {
  if (table) return table;
  const unicodeOf = new Map<string, string>();
  for (const e of compact as Array<{ hexcode: string; unicode: string; skins?: Array<{ hexcode: string; unicode: string }> }>) {
    unicodeOf.set(e.hexcode, e.unicode);
    for (const s of e.skins ?? []) unicodeOf.set(s.hexcode, s.unicode);
  }
  const out: Record<string, string> = {};
  for (const [hexcode, names] of Object.entries(shortcodes as Record<string, string | string[]>)) {
    const unicode = unicodeOf.get(hexcode) ?? String.fromCodePoint(...hexcode.split('-').map((h) => parseInt(h, 16)));
    for (const name of ([] as string[]).concat(names)) out[name] = unicode;
  }
  table = out;
  return out;
}
