/**
 * Recorded workflow histories for replay tests: written with the Temporal
 * CLI's JSON (`temporal workflow show -o json`, the format anyone can export),
 * read back as the SDK's History.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import { testNamespace, testTemporalAddress } from './temporal';

export const HISTORIES = path.join(__dirname, '../fixtures/histories');

/** Writes the finished workflow's history to test/fixtures/histories/<file>. */
export function recordHistory(workflowId: string, file: string): void {
  mkdirSync(HISTORIES, { recursive: true });
  const json = execFileSync(
    process.env.SIGNALROOM_TEST_TEMPORAL_CLI!,
    ['workflow', 'show', '--workflow-id', workflowId, '--address', testTemporalAddress(), '--namespace', testNamespace(), '--output', 'json'],
    { encoding: 'utf8' },
  );
  writeFileSync(path.join(HISTORIES, file), `${JSON.stringify(JSON.parse(json), null, 1)}\n`);
}

/**
 * A history file in the Temporal CLI's JSON. The SDK's historyFromJSON fails
 * ("type must be a Type") when npm installs @temporalio/common and
 * @temporalio/proto with separate protobufjs copies; then the JSON is read
 * with the copy that owns the History type.
 */
export function loadHistory(file: string): History {
  const json: unknown = JSON.parse(readFileSync(path.isAbsolute(file) ? file : path.join(HISTORIES, file), 'utf8'));
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!String((err as Error).message).includes('type must be a Type')) throw err;
  }
  const { fromJson } = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as { fromJson: (type: unknown, json: unknown, options: object) => History };
  const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');
  return fromJson(historyType, json, { ignoreUnknownFields: true });
}

/** The event types of a history, in order (`workflowExecutionStarted`, …). */
export function eventTypes(history: History): string[] {
  return history.events!.map((e) => (Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '').replace(/EventAttributes$/, ''));
}

/**
 * Replays a recorded full run (started … completed) on the current workflow
 * bundle; throws (DeterminismViolationError) when the code would not produce
 * the recorded commands.
 */
export async function replayRecordedRun(file: string, workflowId: string): Promise<void> {
  const history = loadHistory(file);
  const types = eventTypes(history);
  if (types[0] !== 'workflowExecutionStarted' || !types.includes('workflowExecutionCompleted')) {
    throw new Error(`${file} is not a full run (its events go from ${types[0]} to ${types[types.length - 1]})`);
  }
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.SIGNALROOM_TEST_WORKFLOW_BUNDLE! } }, history, workflowId);
}
