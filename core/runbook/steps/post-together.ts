/**
 * Which consecutive steps may be posted together, in one local activity
 * (docs/ARCHITECTURE.md, "The path of a runbook step"): steps whose whole
 * effect is one post (their kind has `post`), without a `When`, none of
 * which uses an output of another in the run (`[steps.<id>.…]`), so that
 * each can be rendered before any of them is posted. Pure.
 */
import { placeholdersIn } from '../template';
import type { RunbookStep } from '../types';
import { kindOf } from './registry';

/** The most posts one local activity makes: its time is bounded (workflows/activity-options.ts). */
export const MAX_POSTS_TOGETHER = 10;

/** Every placeholder name in a step's fields, nested ones (blocks) included. */
function namesUsed(value: unknown, into: Set<string>): Set<string> {
  if (typeof value === 'string') for (const p of placeholdersIn(value)) into.add(p.name);
  else if (Array.isArray(value)) for (const v of value) namesUsed(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) namesUsed(v, into);
  return into;
}

/**
 * The steps from `from` on that may be posted together: two or more, or
 * none (a single post is run as any other step).
 */
export function postsTogether(steps: readonly RunbookStep[], from: number, max = MAX_POSTS_TOGETHER): RunbookStep[] {
  const run: RunbookStep[] = [];
  const ids: string[] = [];
  for (let i = from; i < steps.length && run.length < max; i++) {
    const step = steps[i];
    if (!kindOf(step).post || step.when) break;
    const { op: _op, key: _key, id: _id, ...fields } = step;
    const used = [...namesUsed(fields, new Set())];
    if (ids.some((id) => used.some((name) => name.startsWith(`steps.${id}.`)))) break;
    run.push(step);
    if (step.id) ids.push(step.id);
  }
  return run.length > 1 ? run : [];
}
