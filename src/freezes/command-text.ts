/**
 * `/signalroom freeze create NAME --stages … --services … --from … --until …
 * --tz ZONE --reason …` (or `--cron "0 22 * * *" --duration 8h`): the
 * command's words as a freeze request, for the shared schema to check
 * (src/freezes/request.ts). An option takes every word up to the next
 * option, so neither a reason nor a cron expression needs quotes; quotes
 * (straight or curly) around a value are dropped, and a dash a keyboard made
 * long (`—stages`) still starts an option.
 */
import { didYouMean } from '../../core/did-you-mean';

const OPTIONS: Record<string, 'list' | 'text'> = { stages: 'list', services: 'list', from: 'text', until: 'text', tz: 'text', cron: 'text', duration: 'text', reason: 'text' };
const FIELD: Record<string, string> = { tz: 'timeZone' };

export class FreezeCommandUsage extends Error {}

/** Slack sends `&`, `<` and `>` in command text as entities. */
const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const unquote = (text: string) => text.replace(/^["'“”‘’](.*)["'“”‘’]$/s, '$1');

/** The request fields of `NAME --option value…`; throws FreezeCommandUsage for an unknown or repeated option. */
export function freezeRequestFromWords(words: string[]): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  let option: string | undefined;
  let values: string[] = [];
  const flush = () => {
    if (option === undefined) return;
    const joined = unquote(unescape(values.join(' ')).trim());
    const field = FIELD[option] ?? option;
    if (field in request) throw new FreezeCommandUsage(`--${option} is given twice`);
    request[field] = OPTIONS[option] === 'list' ? joined.split(/[\s,]+/).filter(Boolean) : joined;
  };
  for (const word of words) {
    const flag = /^(?:--|—|–)([a-z-]+)$/i.exec(word);
    if (flag) {
      flush();
      option = flag[1]!.toLowerCase();
      values = [];
      if (!(option in OPTIONS)) throw new FreezeCommandUsage(`unknown option --${option}${didYouMean(option, Object.keys(OPTIONS))}`);
      continue;
    }
    if (option === undefined) {
      if ('name' in request) throw new FreezeCommandUsage(`"${word}" is neither the name nor an option (--stages, --services, --from, --until, --tz, --cron, --duration, --reason)`);
      request.name = word;
      continue;
    }
    values.push(word);
  }
  flush();
  return request;
}
