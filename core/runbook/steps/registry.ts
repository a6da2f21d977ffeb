/**
 * Every step kind, from the one list (./kinds.ts: adding a kind is one
 * module in this folder and one line there), in the order of their
 * operations: the parser, the validator, the JSON Schema, the README's step
 * table, the tests and the incident workflow read this table.
 */
import type { Activities } from '../../../activities';
import type { StepKind } from './kind';
import * as kinds from './kinds';

type Kinds = typeof kinds;
type AnyKind = Kinds[keyof Kinds];

/**
 * Sorted by operation, so the order does not depend on how a compiler lays
 * out a namespace (tsx, swc and webpack each load this module).
 */
export const STEP_KINDS: readonly AnyKind[] = Object.values(kinds as Record<string, AnyKind>).sort((a, b) => (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0));

/** The activities some kind calls: the union of the kinds' `activities`. */
export type StepActivityName = AnyKind['activities'][number];
/** What the workflow must offer a step as `runtime.slack`: derived from the kinds, never listed by hand. */
export type StepActivities = Pick<Activities, StepActivityName>;

/** One step of a runbook, as the workflow interprets it, discriminated by `op`. */
export type RunbookStep = ReturnType<AnyKind['normalize']>;
/** A step as the file writes it, discriminated by `Operation`. */
export type SourceStep = Parameters<AnyKind['normalize']>[0];

const byOperation = new Map<string, AnyKind>(STEP_KINDS.map((k) => [k.operation, k]));
const byOp = new Map<string, AnyKind>(STEP_KINDS.map((k) => [k.op, k]));

/** The kind a file's `Operation` names (the schema has already accepted it). */
export function kindOfOperation(operation: string): StepKind<SourceStep, RunbookStep, StepActivityName> {
  const kind = byOperation.get(operation);
  if (!kind) throw new Error(`no step kind for operation ${operation}`);
  return kind as unknown as StepKind<SourceStep, RunbookStep, StepActivityName>;
}

/** The kind of a normalized step. */
export function kindOf(step: RunbookStep): StepKind<SourceStep, RunbookStep, StepActivityName> {
  const kind = byOp.get(step.op);
  if (!kind) throw new Error(`no step kind for op ${step.op}`);
  return kind as unknown as StepKind<SourceStep, RunbookStep, StepActivityName>;
}
