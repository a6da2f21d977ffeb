/**
 * Loads signalroom.yaml: `${ENV}` interpolation, zod validation, and errors
 * that name the file, line, column and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigSchema, type SignalroomConfig } from './schema';
import { referenceProblems } from './references';
import { formatFileProblem, type FileProblem } from '../../core/file-problem';
import { didYouMean } from '../../core/did-you-mean';

export type ConfigProblem = FileProblem;

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${formatFileProblem(p)}`).join('\n')}`);
  }
}

export interface LoadedConfig {
  config: SignalroomConfig;
  /** The file it came from, or undefined for the built-in default. */
  file?: string;
  /** The names under each map asked for with `keysOf` (`slack.webhooks` → `['deploys']`). */
  keys?: Record<string, string[]>;
}

/**
 * What a command reads of the file. A CLI step that talks straight to
 * Temporal reads a few parts (the approver groups, the runbook folders) of a
 * file the server shares: the server's secrets (`${SLACK_BOT_TOKEN}`,
 * another person's API token) are not set there, and need not be.
 */
export interface ConfigParts {
  /** Dotted paths (`approverGroups`, `runbooks.dirs`): only these are interpolated and validated; the rest take their defaults. */
  parts: readonly string[];
  /** Dotted paths of maps whose names alone the command needs (`slack.webhooks`): their values are neither read nor checked. */
  keysOf?: readonly string[];
}

export const DEFAULT_CONFIG_FILE = 'signalroom.yaml';

/**
 * Loads the configuration from `SIGNALROOM_CONFIG`, else ./signalroom.yaml,
 * else the built-in default (no integrations: `signalroom dev` then plugs in
 * the sandbox).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), only?: ConfigParts): LoadedConfig {
  const named = env.SIGNALROOM_CONFIG;
  const file = path.resolve(cwd, named ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (named) throw new ConfigError([{ file, line: 0, column: 0, field: '(file)', message: 'SIGNALROOM_CONFIG names a file that does not exist' }]);
    return { config: ConfigSchema.parse({}), ...(only?.keysOf ? { keys: Object.fromEntries(only.keysOf.map((k) => [k, []])) } : {}) };
  }
  const keys: Record<string, string[]> = {};
  const config = parseConfig(readFileSync(file, 'utf8'), file, env, only, keys);
  return { config, file, ...(only?.keysOf ? { keys } : {}) };
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, only?: ConfigParts, keys: Record<string, string[]> = {}): SignalroomConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ file, ...at(e.pos[0]), field: '(syntax)', message: e.message.split('\n')[0] })));
  }
  if (only) {
    for (const dotted of only.keysOf ?? []) {
      const map = doc.getIn(dotted.split('.'), true);
      keys[dotted] = isMap(map) ? map.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '?')) : [];
    }
    keepOnly(doc.contents as Node | null, only.parts.map((p) => p.split('.')));
  }
  const problems: ConfigProblem[] = [];
  interpolate(doc.contents as Node | null, [], env, (node, field, message) => problems.push({ file, ...at(node.range?.[0]), field, message }));
  prototypeKeys(doc.contents as Node | null, [], (node, field) => problems.push({ file, ...at(node.range?.[0]), field, message: '"__proto__" cannot be a name here: choose another' }));
  if (problems.length) throw new ConfigError(problems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // An alias to an undefined anchor, or an alias bomb: YAML that cannot become data.
    throw new ConfigError([{ file, ...at(doc.contents?.range?.[0]), field: '(syntax)', message: (err as Error).message.split('\n')[0] }]);
  }
  const parsed = ConfigSchema.safeParse(data);
  if (parsed.success) {
    // Names that refer to other parts of the file are checked when the whole file is read (a command reading a part cannot tell).
    const dangling = only ? [] : referenceProblems(parsed.data);
    if (!dangling.length) return parsed.data;
    throw new ConfigError(dangling.map((p) => ({ file, ...at(nearestNode(doc, p.path)?.range?.[0]), field: fieldName(p.path), message: p.message })));
  }
  throw new ConfigError(
    parsed.error.issues.flatMap((issue) => {
      const keys = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (issue.code === 'unrecognized_keys') {
        // Each unknown key, located at the key itself, with the closest known one.
        const known = shapeAt(ConfigSchema, keys);
        return issue.keys.map((unknown) => ({
          file,
          ...at(unknownKeyNode(doc, keys, unknown)?.range?.[0]),
          field: [...keys, unknown || '""'].join('.'),
          message: `unknown field "${unknown}"${didYouMean(unknown, known)}`,
        }));
      }
      const node = nearestNode(doc, keys);
      return [{ file, ...at(node?.range?.[0]), field: fieldName(keys), message: inWords(issue, valueAt(data, keys)) }];
    }),
  );
}

/** The object keys the schema allows at a path (through defaults, optionals, records and arrays). */
function shapeAt(schema: z.ZodType, keys: Array<string | number>): string[] {
  let s: z.ZodType | undefined = schema;
  const unwrap = (t: z.ZodType | undefined): z.ZodType | undefined => {
    let cur = t;
    for (let i = 0; cur && i < 10; i++) {
      const def = (cur as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
      if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault') cur = def.innerType;
      else break;
    }
    return cur;
  };
  for (const key of keys) {
    s = unwrap(s);
    const def = (s as unknown as { def: { type: string; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[] } } | undefined)?.def;
    if (!def) return [];
    if (def.type === 'object') s = def.shape?.[String(key)];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'union') s = def.options?.find((o) => (unwrap(o) as unknown as { def: { type: string } }).def.type === 'object');
    else return [];
  }
  s = unwrap(s);
  const def = (s as unknown as { def?: { type: string; shape?: Record<string, z.ZodType>; options?: z.ZodType[] } } | undefined)?.def;
  if (def?.type === 'union') return shapeAt(def.options!.find((o) => (unwrap(o) as unknown as { def: { type: string } }).def.type === 'object')!, []);
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

function valueAt(data: unknown, keys: Array<string | number>): unknown {
  let v = data;
  for (const k of keys) v = v !== null && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/** zod's own wording ("Too small: expected string to have >=8 characters") in an operator's words; a message the schema wrote itself is kept. */
function inWords(issue: z.core.$ZodIssue, value: unknown): string {
  const own = !/^(Invalid|Too small|Too big)\b/.test(issue.message);
  if (own) return issue.message;
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'string' ? `must be at least ${issue.minimum} characters long` : issue.origin === 'array' ? `must list at least ${issue.minimum}` : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string' ? `must be at most ${issue.maximum} characters long` : issue.origin === 'array' ? `must list at most ${issue.maximum}` : `must be at most ${issue.maximum}`;
    case 'invalid_type':
      if (value === undefined) return 'is required';
      return `must be ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a map of fields' : `a ${issue.expected}`}, not ${Array.isArray(value) ? 'a list' : value === null ? 'empty' : `a ${typeof value}`}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL, like https://example.com/' : issue.format === 'email' ? 'must be an email address' : `must be ${issue.format === 'regex' ? 'in the expected form' : `a valid ${issue.format}`}`;
    case 'invalid_value': {
      const values = issue.values.map(String);
      return `must be one of ${values.join(', ')}${typeof value === 'string' ? didYouMean(value, values) : ''}`;
    }
    default:
      return issue.message;
  }
}

/**
 * `__proto__` as a key would become the map's prototype, not a name in it:
 * a group or connector so named would silently not exist. Refused, located.
 */
function prototypeKeys(node: Node | null, field: string[], problem: (node: Node, field: string) => void): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      if (key === '__proto__') problem(pair.key as Node, fieldName([...field, key]));
      else prototypeKeys(pair.value as Node | null, [...field, key], problem);
    }
  } else if (isSeq(node)) node.items.forEach((item, i) => prototypeKeys(item as Node | null, [...field, String(i)], problem));
}

/** Drops every part of the document not on one of `paths` (in place: what is kept keeps its line and column). */
function keepOnly(node: Node | null, paths: string[][]): void {
  if (!isMap(node)) return;
  for (const pair of [...node.items]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const below = paths.filter((p) => p[0] === key);
    if (below.some((p) => p.length === 1)) continue;
    if (below.length && isMap(pair.value)) keepOnly(pair.value as Node, below.map((p) => p.slice(1)));
    else node.items.splice(node.items.indexOf(pair), 1);
  }
}

function unknownKeyNode(doc: Document, keys: Array<string | number>, unknown: string): Node | undefined {
  const map = keys.length ? doc.getIn(keys, true) : doc.contents;
  if (!isMap(map)) return nearestNode(doc, keys);
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === unknown);
  return (pair?.key as Node | undefined) ?? nearestNode(doc, keys);
}

function nearestNode(doc: Document, keys: Array<string | number>): Node | undefined {
  for (let n = keys.length; n >= 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
  }
  return undefined;
}

/** A problem's field: its dotted path, or `(root)` for the whole document (a file that is one scalar). */
function fieldName(keys: Array<string | number>): string {
  return keys.join('.') || '(root)';
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${NAME}` and `${NAME:-default}` in every string scalar, in place. */
function interpolate(node: Node | null, field: string[], env: NodeJS.ProcessEnv, problem: (node: Node, field: string, message: string) => void): void {
  if (!node) return;
  if (isScalar(node)) {
    if (typeof node.value !== 'string') return;
    node.value = node.value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      problem(node, fieldName(field), `environment variable ${name} is not set`);
      return '';
    });
  } else if (isMap(node)) {
    for (const pair of [...node.items]) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const value = pair.value as Node | null;
      const hadReference = isScalar(value) && typeof value.value === 'string' && value.value.includes('${');
      interpolate(value, [...field, key], env, problem);
      // `${VAR:-}` that resolved to nothing means "not set": drop the field.
      if (hadReference && isScalar(value) && value.value === '') node.items.splice(node.items.indexOf(pair), 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => interpolate(item as Node | null, [...field, String(i)], env, problem));
  }
}
