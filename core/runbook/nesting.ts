/**
 * How deep a YAML text nests, found by a cheap scan before anything parses
 * it. The YAML parser and composer recurse once per level: 20,000 nested
 * `[` exhausted the stack, and after a few such texts V8 ran out of memory
 * in a way no thread boundary survives (SECURITY.md, "Parsing text from
 * outside cannot kill the server"). The scan uses the YAML lexer, which is
 * iterative and knows quotes, comments and block scalars, and counts flow
 * brackets plus block levels (indentation and compact `- - x` items).
 */
import { Lexer } from 'yaml';

/** The deepest a runbook nests: real ones stay under ten levels. */
export const MAX_RUNBOOK_NESTING = 64;

const NEWLINES = new Set(['\n', '\r\n', '\r']);
const isSpace = (token: string) => /^[ \t]+$/.test(token);

/**
 * The first place where `text` nests deeper than `limit` (its line, 1-based),
 * or undefined when it never does. Linear in the text's length.
 */
export function nestingPastLimit(text: string, limit = MAX_RUNBOOK_NESTING): { line: number; depth: number } | undefined {
  let flow = 0;
  let line = 1;
  let atLineStart = true;
  let indent = 0;
  let compact = 0;
  let blockDepth = 0;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    if (NEWLINES.has(token)) {
      line += 1;
      atLineStart = true;
      indent = 0;
      compact = 0;
      continue;
    }
    if (token === '[' || token === '{') {
      flow += 1;
    } else if (token === ']' || token === '}') {
      flow = Math.max(0, flow - 1);
    } else if (flow === 0 && atLineStart && isSpace(token)) {
      indent = token.length;
      continue;
    } else if (flow === 0 && (token === '-' || token === '?')) {
      compact += 1;
    } else if (token.length && token.charCodeAt(0) < 0x20 && !NEWLINES.has(token)) {
      // The lexer's markers (document start, scalar): not content.
      continue;
    }
    if (flow === 0 && atLineStart && !isSpace(token) && token !== '-' && token !== '?') {
      // The first content of a block line: its indentation says which level it is on.
      while (indents.length && indents[indents.length - 1] > indent) indents.pop();
      if (!indents.length || indents[indents.length - 1] < indent) indents.push(indent);
      blockDepth = indents.length;
      atLineStart = false;
    }
    const depth = blockDepth + compact + flow;
    if (depth > limit) return { line, depth };
    if (token.includes('\n')) line += token.split('\n').length - 1;
  }
  return undefined;
}
