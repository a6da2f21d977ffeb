/**
 * Runbook templates: `[incident.id]`, `[steps.notify.ts]`. A placeholder is a
 * dotted name in square brackets; `\[` writes a literal bracket. Rendering
 * never leaves a placeholder in the output: a value that is missing at run
 * time is a TemplateError, so Slack never sees `[incident.x]`.
 * Pure: safe to import from workflow code.
 */

/** A dotted name: `incident.id`, `steps.notify.ts`. Segments are identifiers (letters, digits, _ and -). */
const NAME = '[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z_][A-Za-z0-9_-]*)+';
const PLACEHOLDER = new RegExp(`(\\\\?)\\[\\s*(${NAME})\\s*\\]`, 'g');

/** One placeholder found in a template. */
export interface Placeholder {
  /** The dotted name, e.g. `incident.id`. */
  name: string;
  /** The text as written, e.g. `[incident.id]`. */
  raw: string;
  /** Offset of `raw` in the template. */
  offset: number;
}

/**
 * The values a template can use, nested by name: `{ incident: { id: '42' },
 * steps: { notify: { ts: '1700.1' } } }`. Arrays render as `a, b`.
 */
export type TemplateContext = { [name: string]: TemplateValue };
export type TemplateValue = string | number | boolean | null | undefined | TemplateValue[] | { [name: string]: TemplateValue };

/** A template used a name the context has no value for. */
export class TemplateError extends Error {
  readonly code = 'template_unresolved';
  constructor(readonly missing: string[], readonly template: string) {
    super(`no value for ${missing.map((m) => `[${m}]`).join(', ')} in "${template}"`);
    this.name = 'TemplateError';
  }
}

/** Every placeholder in a template, in order (escaped `\[x.y]` ones excluded). */
export function placeholdersIn(text: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m[1]) continue;
    found.push({ name: m[2], raw: m[0], offset: m.index ?? 0 });
  }
  return found;
}

/** Does this text contain any placeholder? */
export function isTemplate(text: string): boolean {
  return placeholdersIn(text).length > 0;
}

/** The value at a dotted name, or undefined. Own properties only. */
export function lookup(context: TemplateContext, name: string): TemplateValue {
  let value: TemplateValue = context;
  for (const segment of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, segment)) return undefined;
    value = (value as { [k: string]: TemplateValue })[segment];
  }
  return value;
}

/** A value as template text: arrays joined with `, `; objects are not text. */
export function valueText(value: TemplateValue): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => valueText(v) ?? '').join(', ');
  if (typeof value === 'object') return undefined;
  return String(value);
}

/**
 * Where in the author's markup a placeholder sits: in plain text, as the
 * whole target of a Slack link (`<[incident.dashboard]|label>`), or inside
 * a link's target after the author's own start (`<https://x/[id]|label>`).
 */
export type PlaceholderPosition = 'text' | 'link' | 'in-link';

/** The position of the placeholder at `offset`: after a `<` with no `>` or `|` between is a link's target. */
export function positionAt(text: string, offset: number): PlaceholderPosition {
  const open = text.lastIndexOf('<', offset - 1);
  if (open < 0) return 'text';
  const between = text.slice(open + 1, offset);
  if (/[>|]/.test(between)) return 'text';
  return between === '' ? 'link' : 'in-link';
}

export interface RenderOptions {
  /**
   * How a value is written into the text, e.g. escaped for Slack mrkdwn
   * (the template itself is the runbook author's markup; the values are data).
   * May throw to refuse a value that cannot stand where it is placed.
   * @default as is
   */
  value?: (text: string, name: string, position: PlaceholderPosition) => string;
}

/**
 * Replaces every placeholder with its value from the context and `\[` with
 * `[`. Throws TemplateError listing every placeholder without a value.
 */
export function renderTemplate(text: string, context: TemplateContext, options: RenderOptions = {}): string {
  const missing: string[] = [];
  const out = text.replace(PLACEHOLDER, (raw: string, escape: string, name: string, offset: number) => {
    if (escape) return raw.slice(1);
    const value = valueText(lookup(context, name));
    if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return raw;
    }
    return options.value ? options.value(value, name, positionAt(text, offset)) : value;
  });
  if (missing.length) throw new TemplateError(missing, text);
  return out;
}
