/**
 * The `When` expression language: a small, safe language over the template
 * context, parsed here (never evaluated as code).
 *
 *     incident.severity == SEV1
 *     incident.severity in [SEV1, SEV2] and incident.service != "billing"
 *     not (steps.approve.status == approved) or incident.customerFacing
 *
 * Dotted names (`incident.severity`, `steps.notify.ts`) are references;
 * bare words (`SEV1`), quoted strings and numbers are values; `true`/`false`
 * are booleans. Operators: `==` `!=` `<` `<=` `>` `>=`, `in [..]`,
 * `not in [..]`, `and` / `&&`, `or` / `||`, `not` / `!`, parentheses. A
 * reference alone is true when its value is set and not empty, `false` or 0.
 * Pure: safe to import from workflow code.
 */
import { lookup, valueText, type TemplateContext, type TemplateValue } from './template';

export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A parsed condition. Plain data (JSON-serializable), so it can travel in workflow inputs. */
export type ConditionNode =
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'ref'; name: string; offset: number }
  | { kind: 'list'; items: ConditionNode[] }
  | { kind: 'not'; operand: ConditionNode }
  | { kind: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
  | { kind: 'compare'; op: ComparisonOperator; left: ConditionNode; right: ConditionNode }
  | { kind: 'in'; negated: boolean; left: ConditionNode; list: ConditionNode };

/** A condition that does not parse; `offset` is where in the text it went wrong. */
export class ConditionError extends Error {
  readonly code: string = 'invalid_condition';
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'ConditionError';
  }
}

/**
 * Bounds on one expression. The parser recurses per nesting level (and
 * evaluation per operator), so an expression from a stranger (the validate
 * API) must not be able to exhaust the stack: 32 levels of `(`, `[` and
 * `not`, and 400 tokens, are far beyond any real condition.
 */
export const MAX_CONDITION_DEPTH = 32;
export const MAX_CONDITION_TOKENS = 400;

/** A condition past those bounds: a limit, not a typo. */
export class ConditionTooComplexError extends ConditionError {
  override readonly code = 'condition_too_complex';
}

type Token =
  | { type: 'word'; text: string; offset: number }
  | { type: 'string'; text: string; offset: number }
  | { type: 'number'; text: string; offset: number }
  | { type: 'punct'; text: string; offset: number }
  | { type: 'end'; text: ''; offset: number };

const WORD = /[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?![A-Za-z_])/y;
const PUNCT = /==|!=|<=|>=|&&|\|\||[<>()[\],!]/y;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    return re.exec(text)?.[0];
  };
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (tokens.length >= MAX_CONDITION_TOKENS) throw new ConditionTooComplexError(`the expression is too long: at most ${MAX_CONDITION_TOKENS} words, values and operators`, i);
    if (ch === '"' || ch === "'") {
      const close = text.indexOf(ch, i + 1);
      if (close < 0) throw new ConditionError(`unterminated string starting at ${ch}`, i);
      tokens.push({ type: 'string', text: text.slice(i + 1, close), offset: i });
      i = close + 1;
      continue;
    }
    const number = at(NUMBER);
    if (number) {
      tokens.push({ type: 'number', text: number, offset: i });
      i += number.length;
      continue;
    }
    const word = at(WORD);
    if (word) {
      tokens.push({ type: 'word', text: word, offset: i });
      i += word.length;
      continue;
    }
    const punct = at(PUNCT);
    if (punct) {
      tokens.push({ type: 'punct', text: punct, offset: i });
      i += punct.length;
      continue;
    }
    if (ch === '=') throw new ConditionError('use == to compare (a single = is not an operator)', i);
    throw new ConditionError(`unexpected character "${ch}"`, i);
  }
  tokens.push({ type: 'end', text: '', offset: text.length });
  return tokens;
}

/**
 * Parses a `When` expression. Throws ConditionError with the offset of the
 * first problem.
 */
export function parseCondition(text: string): ConditionNode {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token, w: string) => t.type === 'word' && t.text === w;
  const isPunct = (t: Token, p: string) => t.type === 'punct' && t.text === p;
  const describe = (t: Token) => (t.type === 'end' ? 'the end of the expression' : `"${t.text}"`);
  let depth = 0;
  /** Runs one nesting level (a "(", "[" or "not"), refusing to go deeper than MAX_CONDITION_DEPTH. */
  function nested<T>(at: Token, parse: () => T): T {
    if (++depth > MAX_CONDITION_DEPTH) throw new ConditionTooComplexError(`the expression nests deeper than ${MAX_CONDITION_DEPTH} levels of "(", "[" and "not"`, at.offset);
    try {
      return parse();
    } finally {
      depth--;
    }
  }

  function or(): ConditionNode {
    let left = and();
    while (isWord(peek(), 'or') || isPunct(peek(), '||')) {
      pos++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }
  function and(): ConditionNode {
    let left = not();
    while (isWord(peek(), 'and') || isPunct(peek(), '&&')) {
      pos++;
      left = { kind: 'and', left, right: not() };
    }
    return left;
  }
  function not(): ConditionNode {
    if (isWord(peek(), 'not') || isPunct(peek(), '!')) {
      const t = peek();
      pos++;
      return { kind: 'not', operand: nested(t, not) };
    }
    return comparison();
  }
  function comparison(): ConditionNode {
    const left = operand();
    const t = peek();
    if (t.type === 'punct' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      pos++;
      return { kind: 'compare', op: t.text as ComparisonOperator, left, right: operand() };
    }
    if (isWord(t, 'in') || (isWord(t, 'not') && isWord(tokens[pos + 1], 'in'))) {
      const negated = t.text === 'not';
      pos += negated ? 2 : 1;
      if (!isPunct(peek(), '[')) throw new ConditionError(`expected a list like [SEV1, SEV2] after "in", found ${describe(peek())}`, peek().offset);
      return { kind: 'in', negated, left, list: operand() };
    }
    return left;
  }
  function operand(): ConditionNode {
    const t = peek();
    if (isPunct(t, '(')) {
      pos++;
      const inner = nested(t, or);
      if (!isPunct(peek(), ')')) throw new ConditionError(`expected ")" to close the "(" at ${t.offset + 1}, found ${describe(peek())}`, peek().offset);
      pos++;
      return inner;
    }
    if (isPunct(t, '[')) {
      pos++;
      const items: ConditionNode[] = [];
      if (!isPunct(peek(), ']')) {
        for (;;) {
          items.push(nested(t, operand));
          if (isPunct(peek(), ',')) {
            pos++;
            continue;
          }
          break;
        }
      }
      if (!isPunct(peek(), ']')) throw new ConditionError(`expected "," or "]" in the list, found ${describe(peek())}`, peek().offset);
      pos++;
      return { kind: 'list', items };
    }
    if (t.type === 'string') {
      pos++;
      return { kind: 'literal', value: t.text };
    }
    if (t.type === 'number') {
      pos++;
      return { kind: 'literal', value: Number(t.text) };
    }
    if (t.type === 'word' && (t.text === 'true' || t.text === 'false')) {
      pos++;
      return { kind: 'literal', value: t.text === 'true' };
    }
    if (t.type === 'word' && !KEYWORDS.has(t.text)) {
      pos++;
      return t.text.includes('.') ? { kind: 'ref', name: t.text, offset: t.offset } : { kind: 'literal', value: t.text };
    }
    throw new ConditionError(`expected a value, a name like incident.severity or "(", found ${describe(t)}`, t.offset);
  }

  const tree = or();
  if (peek().type !== 'end') {
    const t = peek();
    throw new ConditionError(`unexpected ${describe(t)}; join conditions with "and" or "or"`, t.offset);
  }
  return tree;
}

/** Every reference in a condition, in order of appearance. */
export function conditionReferences(node: ConditionNode): Array<{ name: string; offset: number }> {
  switch (node.kind) {
    case 'ref':
      return [{ name: node.name, offset: node.offset }];
    case 'literal':
      return [];
    case 'list':
      return node.items.flatMap(conditionReferences);
    case 'not':
      return conditionReferences(node.operand);
    case 'in':
      return [...conditionReferences(node.left), ...conditionReferences(node.list)];
    default:
      return [...conditionReferences(node.left), ...conditionReferences(node.right)];
  }
}

type Value = TemplateValue;

function evaluate(node: ConditionNode, context: TemplateContext): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'ref':
      return lookup(context, node.name);
    case 'list':
      return node.items.map((item) => evaluate(item, context));
    case 'not':
      return !truthy(evaluate(node.operand, context));
    case 'and':
      return truthy(evaluate(node.left, context)) && truthy(evaluate(node.right, context));
    case 'or':
      return truthy(evaluate(node.left, context)) || truthy(evaluate(node.right, context));
    case 'in': {
      const left = evaluate(node.left, context);
      const list = evaluate(node.list, context);
      const found = Array.isArray(list) && list.some((item) => equal(left, item));
      return node.negated ? !found : found;
    }
    case 'compare': {
      const left = evaluate(node.left, context);
      const right = evaluate(node.right, context);
      if (node.op === '==') return equal(left, right);
      if (node.op === '!=') return !equal(left, right);
      const order = compare(left, right);
      if (order === undefined) return false;
      return node.op === '<' ? order < 0 : node.op === '<=' ? order <= 0 : node.op === '>' ? order > 0 : order >= 0;
    }
  }
}

function asNumber(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+(?:\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

/** Values compare as numbers when both are numeric, else as their text; an unset value equals nothing. */
function equal(a: Value, b: Value): boolean {
  const an = asNumber(a);
  const bn = asNumber(b);
  if (an !== undefined && bn !== undefined) return an === bn;
  const at = valueText(a);
  const bt = valueText(b);
  return at !== undefined && bt !== undefined && at === bt;
}

function compare(a: Value, b: Value): number | undefined {
  const an = asNumber(a);
  const bn = asNumber(b);
  if (an !== undefined && bn !== undefined) return an - bn;
  const at = valueText(a);
  const bt = valueText(b);
  if (at === undefined || bt === undefined) return undefined;
  return at < bt ? -1 : at > bt ? 1 : 0;
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (typeof v === 'string' && v.toLowerCase() === 'false') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Evaluates a parsed condition against the context. Unset references are simply unset (never an error). */
export function evaluateCondition(node: ConditionNode, context: TemplateContext): boolean {
  return truthy(evaluate(node, context));
}

/** Parses and evaluates a `When` text in one go (throws ConditionError when it does not parse). */
export function evaluateWhen(text: string, context: TemplateContext): boolean {
  return evaluateCondition(parseCondition(text), context);
}
