/**
 * Parses and validates a runbook file's text: YAML syntax, the zod schema,
 * then what a schema cannot see (placeholders that name nothing, steps used
 * before they run, channel names Slack would refuse, `When` expressions).
 * Every problem carries file:line:column and the field path, found by
 * mapping paths back to the YAML source. Uses `yaml`, so it is not for
 * workflow code (the workflow gets the normalized Runbook).
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { channelNameProblem } from '../slack/channel-names';
import { didYouMean } from '../did-you-mean';
import { ConditionError, ConditionTooComplexError, conditionReferences, parseCondition } from './condition';
import { MAX_RUNBOOK_NESTING, nestingPastLimit } from './nesting';
import { INCIDENT_CHANNEL, normalizeRunbook } from './normalize';
import { PLAIN_COMMON_FIELDS } from './steps/kind';
import { kindOfOperation } from './steps/registry';
import { BlockSchema, RemindersSchema, RunbookObjectSchema, STEP_SCHEMAS, StepListSchema, type RunbookFileObject, type SourceStep } from './schema';
import { placeholdersIn } from './template';
import { formatFileProblem, type FileProblem } from '../file-problem';
import { CHANNEL_OUTPUTS, DEFAULT_INPUTS, OPERATION_NAMES, REMINDER_VALUES, SECTION_VALUES, STEP_OUTPUTS, type Runbook, type RunbookSection, type StepOperation } from './types';

/** One thing wrong with a runbook file, where it is and what to do. */
export type Problem = FileProblem;

export interface ParseResult {
  /** Present only when there are no problems. */
  runbook?: Runbook;
  problems: Problem[];
}

/** A runbook that failed validation, for callers that prefer to throw. */
export class RunbookError extends Error {
  readonly code = 'invalid_runbook';
  constructor(readonly problems: Problem[]) {
    super(`Invalid runbook:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'RunbookError';
  }
}

/** `file:line:column field: message`, the way editors and CI logs link to a position. */
export const formatProblem = formatFileProblem;

type Path = Array<string | number>;

const SECTIONS: Array<{ key: 'steps' | 'onUpdate' | 'onResolve'; section: RunbookSection }> = [
  { key: 'steps', section: 'open' },
  { key: 'onUpdate', section: 'update' },
  { key: 'onResolve', section: 'resolve' },
];
const OPERATIONS = Object.keys(OPERATION_NAMES);

/** Keys inside a step's values (a block's `Type`) that are not templates; a kind names its own plain fields. */
const NOT_TEMPLATES_INSIDE = new Set(['Type']);

/** `['steps', 0, 'Blocks', 1, 'Text']` → `steps[0].Blocks[1].Text`. */
export function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

/** The file name without folder and extension: a bare step list's runbook name. */
function baseName(fileName: string): string {
  const last = fileName.split(/[\\/]/).pop() ?? fileName;
  return last.replace(/\.ya?ml$/i, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'runbook';
}

/**
 * Parses a runbook file's text. `fileName` is used in problems and names a
 * runbook that does not name itself. Never throws: every problem found is
 * in `problems`, sorted by position.
 */
export function parseRunbook(text: string, fileName: string): ParseResult {
  // Before the parser, which recurses once per level: a cheap scan bounds how deep the text nests.
  const deep = nestingPastLimit(text);
  if (deep) {
    const message = `the file nests deeper than ${MAX_RUNBOOK_NESTING} levels (lists and maps inside each other) by line ${deep.line}; a runbook needs a few`;
    return { problems: [{ file: fileName, line: deep.line, column: 1, field: '(syntax)', message, limit: 'nesting' }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  const report = (offset: number | undefined, field: Path | string, message: string, limit?: string) =>
    problems.push({ file: fileName, ...at(offset), field: typeof field === 'string' ? field : fieldName(field), message, ...(limit ? { limit } : {}) });
  const done = (): ParseResult => ({ problems: problems.sort((a, b) => a.line - b.line || a.column - b.column) });

  if (doc.errors.length > 0) {
    for (const e of doc.errors) report(e.pos[0], '(syntax)', e.message.split('\n')[0]);
    return done();
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias to an undefined anchor, or an alias bomb: YAML that cannot become data.
    report(doc.contents?.range?.[0], '(syntax)', (err as Error).message.split('\n')[0]);
    return done();
  }
  if (data === null || data === undefined) {
    report(0, '(root)', 'the file is empty; a runbook is a list of steps, or an object with name and steps');
    return done();
  }
  const isList = Array.isArray(data);
  if (!isList && (typeof data !== 'object' || data === null)) {
    report(doc.contents?.range?.[0], '(root)', 'a runbook is a list of steps, or an object with name and steps');
    return done();
  }

  // A bare list is the `steps` section: problems name `steps[i]`, the YAML path has no `steps`.
  const toDoc = (field: Path): Path => (isList ? field.slice(1) : field);
  const nodeAt = (field: Path) => nearestNode(doc, toDoc(field));
  const valueAt = (field: Path): unknown => toDoc(field).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), data);

  const parsed = isList ? StepListSchema.min(1, { error: 'a runbook needs at least one step' }).safeParse(data) : RunbookObjectSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field: Path = [...(isList ? ['steps'] : []), ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
      reportIssue(issue, field);
    }
    return done();
  }

  function reportIssue(issue: z.core.$ZodIssue, field: Path): void {
    if (issue.code === 'unrecognized_keys') {
      const map = toDoc(field).length ? doc.getIn(toDoc(field), true) : doc.contents;
      for (const key of issue.keys) {
        const keyNode = isMap(map) ? (map.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.key as Node | undefined) : undefined;
        const known = knownKeys(valueAt(field), field);
        const hint = known ? didYouMean(key, known) || `; expected one of: ${known.join(', ')}` : '';
        report((keyNode ?? nodeAt(field))?.range?.[0], [...field, key], `unknown field "${key}"${hint}`);
      }
      return;
    }
    if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
      const given = valueAt(field);
      const owner = field.slice(0, -1);
      if (issue.discriminator === 'Operation') {
        if (given === undefined) report(nodeAt(owner)?.range?.[0], field, `a step needs an Operation, one of: ${OPERATIONS.join(', ')}`);
        else report(nodeAt(field)?.range?.[0], field, `unknown operation "${String(given)}"${didYouMean(String(given), OPERATIONS)}; expected one of: ${OPERATIONS.join(', ')}`);
        return;
      }
      const types = BlockSchema.options.map((o) => o.shape.Type.value);
      if (given === undefined) report(nodeAt(owner)?.range?.[0], field, `a block needs a Type, one of: ${types.join(', ')}`);
      else report(nodeAt(field)?.range?.[0], field, `unknown block type "${String(given)}"${didYouMean(String(given), types)}; expected one of: ${types.join(', ')}`);
      return;
    }
    if (valueAt(field) === undefined && field.length > 0) {
      const owner = field.slice(0, -1);
      const op = (valueAt(owner) as { Operation?: unknown } | undefined)?.Operation;
      const what = typeof op === 'string' ? op : fieldName(owner) === '(root)' ? 'a runbook' : fieldName(owner);
      report(nodeAt(owner)?.range?.[0], field, `${what} needs ${String(field[field.length - 1])}`);
      return;
    }
    report(nodeAt(field)?.range?.[0], field, issue.message);
  }

  const file: RunbookFileObject = isList ? { steps: parsed.data as SourceStep[] } : (parsed.data as RunbookFileObject);
  checkMeaning(file, text, doc, toDoc, report);
  if (problems.length) return done();
  return { runbook: normalizeRunbook(file, baseName(fileName)), problems: [] };
}

/** The fields a map at this place may have, for "did you mean" on an unknown one. */
function knownKeys(value: unknown, field: Path): string[] | undefined {
  if (field.length === 0) return Object.keys(RunbookObjectSchema.shape);
  if (field.length === 1 && field[0] === 'reminders') return Object.keys(RemindersSchema.shape);
  if (value && typeof value === 'object' && 'Operation' in value) {
    const schema = STEP_SCHEMAS.find((s) => s.shape.Operation.value === (value as { Operation: unknown }).Operation);
    return schema ? Object.keys(schema.shape) : undefined;
  }
  if (value && typeof value === 'object' && 'Type' in value) {
    const schema = BlockSchema.options.find((s) => s.shape.Type.value === (value as { Type: unknown }).Type);
    return schema ? Object.keys(schema.shape) : undefined;
  }
  return undefined;
}

function nearestNode(doc: Document, keys: Path): Node | undefined {
  for (let n = keys.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true)) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node && node.range) return node;
  }
  return undefined;
}

interface DefinedStep {
  op: StepOperation;
  section: RunbookSection;
  index: number;
  line: number;
}

/** What a template or condition may name at one place in the runbook. */
interface Scope {
  section: RunbookSection;
  index: number;
  /** Inputs plus the values the workflow provides there. */
  names: Set<string>;
  /** Has a Create Channel step run before this point? */
  channelCreated: boolean;
}

type Report = (offset: number | undefined, field: Path | string, message: string, limit?: string) => void;

function checkMeaning(file: RunbookFileObject, text: string, doc: Document, toDoc: (p: Path) => Path, report: Report): void {
  const inputs = file.inputs ?? [...DEFAULT_INPUTS];
  const node = (field: Path) => nearestNode(doc, toDoc(field));
  const offsetOf = (field: Path) => node(field)?.range?.[0];
  /** Where `needle` is inside the scalar at `field`, else the scalar's start. */
  const offsetIn = (field: Path, needle: string, extra = 0) => {
    const n = node(field);
    if (!n?.range) return undefined;
    const idx = text.slice(n.range[0], n.range[1]).indexOf(needle);
    return idx < 0 ? n.range[0] : n.range[0] + idx + extra;
  };

  // Step ids: unique in the whole runbook, so every section can name open steps.
  const defined = new Map<string, DefinedStep>();
  for (const { key, section } of SECTIONS) {
    (file[key] ?? []).forEach((step, index) => {
      const field: Path = [key, index];
      if (step.Id !== undefined && step.id !== undefined) report(offsetOf([...field, 'id']), [...field, 'id'], 'give the step Id or id, not both');
      const id = step.Id ?? step.id;
      if (id === undefined) return;
      const idField: Path = [...field, step.Id !== undefined ? 'Id' : 'id'];
      const earlier = defined.get(id);
      if (earlier) report(offsetOf(idField), idField, `another step already has Id "${id}" (line ${earlier.line}); step ids are unique in a runbook`);
      else defined.set(id, { op: OPERATION_NAMES[step.Operation], section, index, line: lineOf(doc, text, offsetOf(idField)) });
    });
  }

  const channelCreatedIn = (steps: SourceStep[] | undefined, before = Infinity) => (steps ?? []).some((s, i) => i < before && kindOfOperation(s.Operation).channel === 'creates');

  /** Why `name` cannot be used here, or undefined when it can. */
  const problemWith = (name: string, scope: Scope): string | undefined => {
    const parts = name.split('.');
    if (parts[0] === 'steps') {
      if (parts.length !== 3) return `write a step's output as [steps.<id>.<output>], not [${name}]`;
      const [, id, output] = parts;
      const step = defined.get(id);
      if (!step) return `no step has Id "${id}"${didYouMean(id, defined.keys())}`;
      const sectionName = SECTIONS.find((s) => s.section === step.section)!.key;
      if (step.section === scope.section && step.index >= scope.index)
        return step.index === scope.index ? `a step cannot use its own output [${name}]` : `step "${id}" runs later (line ${step.line}); a step can only use what earlier steps produced`;
      if (step.section !== 'open' && step.section !== scope.section) return `step "${id}" is in ${sectionName}, which may not have run here; only steps in the open section (steps) and earlier steps of this section can be used`;
      const outputs = STEP_OUTPUTS[step.op];
      if (!outputs.includes(output)) return `step "${id}" (${operationName(step.op)}) outputs ${outputs.join(', ')}; not "${output}"${didYouMean(output, outputs)}`;
      return undefined;
    }
    if ((CHANNEL_OUTPUTS as readonly string[]).includes(name) && !scope.names.has(name)) {
      return scope.channelCreated ? undefined : `[${name}] is set by a Create Channel step, and none runs before this one`;
    }
    if (scope.names.has(name)) return undefined;
    const candidates = [...scope.names, ...(scope.channelCreated ? CHANNEL_OUTPUTS : [])];
    return `unknown placeholder [${name}]: not a declared input or an earlier step's output${didYouMean(name, candidates, (s) => `[${s}]`)}; declared inputs: ${inputs.join(', ')}`;
  };

  const checkTemplate = (value: string, field: Path, scope: Scope) => {
    for (const p of placeholdersIn(value)) {
      const why = problemWith(p.name, scope);
      if (why) report(offsetIn(field, p.raw), field, why);
    }
  };

  const checkTemplates = (value: unknown, field: Path, scope: Scope, plain: ReadonlySet<string> = NOT_TEMPLATES_INSIDE) => {
    if (typeof value === 'string') checkTemplate(value, field, scope);
    else if (Array.isArray(value)) value.forEach((v, i) => checkTemplates(v, [...field, i], scope));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) if (!plain.has(k)) checkTemplates(v, [...field, k], scope);
  };

  const checkChannelLiteral = (value: string, field: Path, creating: boolean) => {
    if (!creating && !value.startsWith('#')) return;
    const literal = value.replace(/^#/, '');
    const withoutPlaceholders = placeholdersIn(literal).reduceRight((s, p) => s.slice(0, p.offset) + 'x' + s.slice(p.offset + p.raw.length), literal);
    if (/[A-Z]/.test(withoutPlaceholders)) {
      const fixed = lowerOutsidePlaceholders(value);
      report(offsetOf(field), field, `Slack channel names are lower-case: write "${fixed}" instead of "${value}"`);
      return;
    }
    const why = channelNameProblem(withoutPlaceholders);
    if (why) report(offsetOf(field), field, `${why.replace(`"${withoutPlaceholders}"`, `"${value}"`)}`);
  };

  for (const { key, section } of SECTIONS) {
    const steps = file[key] ?? [];
    steps.forEach((step, index) => {
      const field: Path = [key, index];
      const scope: Scope = {
        section,
        index,
        names: new Set([...inputs, ...SECTION_VALUES[section]]),
        channelCreated: channelCreatedIn(steps, index) || (section !== 'open' && channelCreatedIn(file.steps)),
      };
      const kind = kindOfOperation(step.Operation);
      checkTemplates(step, field, scope, new Set([...PLAIN_COMMON_FIELDS, ...kind.plainFields]));
      if (step.When !== undefined) {
        try {
          for (const ref of conditionReferences(parseCondition(step.When))) {
            const why = problemWith(ref.name, scope);
            if (why) report(offsetIn([...field, 'When'], step.When, ref.offset), [...field, 'When'], why);
          }
        } catch (err) {
          if (!(err instanceof ConditionError)) throw err;
          // The expression is quoted back, but not a stranger's 60 KB of it.
          const quoted = step.When.length > 120 ? `${step.When.slice(0, 117)}...` : step.When;
          report(offsetIn([...field, 'When'], step.When, err.offset), [...field, 'When'], `${err.message} in "${quoted}"`, err instanceof ConditionTooComplexError ? err.code : undefined);
        }
      }
      // Only kinds that use a channel need one; a kind that creates it has its name checked.
      const own = step as unknown as Record<string, unknown>;
      if (kind.channel === 'creates' && typeof own.Name === 'string') checkChannelLiteral(own.Name, [...field, 'Name'], true);
      else if (kind.channel === 'uses') {
        if (typeof own.Channel === 'string') checkChannelLiteral(own.Channel, [...field, 'Channel'], false);
        else if (problemWith('incident.channel', scope))
          report(offsetOf([...field, 'Operation']), field, `${step.Operation} has no Channel, so it uses the incident channel ${INCIDENT_CHANNEL}, but no Create Channel step runs before it; give it a Channel`);
      }
      kind.check?.(step, {
        report: (own, message) => {
          const at: Path = own === undefined ? [...field, 'Operation'] : [...field, ...parseOwnField(own)];
          report(offsetOf(at), own === undefined ? field : [...field, ...parseOwnField(own)], message);
        },
        isLiteral: (value) => placeholdersIn(value).length === 0,
      });
    });
  }

  if (file.reminders) {
    const field: Path = ['reminders'];
    const scope: Scope = { section: 'open', index: Infinity, names: new Set([...inputs, ...REMINDER_VALUES]), channelCreated: channelCreatedIn(file.steps) };
    checkTemplates({ channel: file.reminders.channel, message: file.reminders.message }, field, scope);
    if (file.reminders.channel === undefined && problemWith('incident.channel', scope))
      report(offsetOf(field), field, `reminders go to the incident channel ${INCIDENT_CHANNEL} by default, but no Create Channel step runs; give reminders a channel`);
    if (typeof file.reminders.every === 'object' && Object.keys(file.reminders.every).length === 0)
      report(offsetOf([...field, 'every']), [...field, 'every'], 'give at least one interval, e.g. { SEV1: 15m, default: 1h }');
  }
}

/** A kind's field name (`Link`, `Blocks[1]`) as a path. */
function parseOwnField(own: string): Path {
  return own.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function lineOf(_doc: Document, text: string, offset: number | undefined): number {
  return text.slice(0, offset ?? 0).split('\n').length;
}

/** What Slack's own UI would make of literal channel-name text: lower-case, spaces as hyphens. */
const asChannelName = (literal: string) => literal.toLowerCase().replace(/\s+/g, '-');

function lowerOutsidePlaceholders(value: string): string {
  let out = '';
  let last = 0;
  for (const p of placeholdersIn(value)) {
    out += asChannelName(value.slice(last, p.offset)) + p.raw;
    last = p.offset + p.raw.length;
  }
  return out + asChannelName(value.slice(last));
}

function operationName(op: StepOperation): string {
  return Object.entries(OPERATION_NAMES).find(([, v]) => v === op)?.[0] ?? op;
}
