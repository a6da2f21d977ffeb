/**
 * The bench's baseline workflows: the least a Temporal workflow can do for
 * each measured figure. Bundled on their own (never part of workflows/), and
 * registered only by the bench's own workers.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities';

export const bareSignal = defineSignal<[{ key: string }]>('bareSignal');
export const bareStop = defineSignal('bareStop');

const { noop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30 seconds' });

/** Receives signals and does nothing with them until told to stop (target of bare signals). */
export async function bareWaiter(): Promise<void> {
  let stop = false;
  setHandler(bareSignal, () => undefined);
  setHandler(bareStop, () => void (stop = true));
  await condition(() => stop);
}

/** Waits for one signal, runs one no-op activity with its key, and ends (baseline of click → message updated). */
export async function bareSignalThenActivity(): Promise<void> {
  let key: string | undefined;
  setHandler(bareSignal, (s) => void (key = s.key));
  await condition(() => key !== undefined);
  await noop(key!);
}

/** Runs `count` no-op activities one after the other (baseline of a runbook of `count` Slack steps). */
export async function bareActivities(key: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await noop(`${key}/${i}`);
}

/** Runs one no-op activity, then stays cached waiting for a stop signal (baseline of a cached incident). */
export async function bareCached(key: string): Promise<void> {
  let stop = false;
  setHandler(bareStop, () => void (stop = true));
  await noop(key);
  await condition(() => stop);
}
