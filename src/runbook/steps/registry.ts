/**
 * Every step kind, once. The parser, the validator, the JSON Schema and the
 * incident workflow read this table: adding a kind is one module in this
 * folder and one line here.
 */
import { addActionItem } from './add-action-item';
import { addBookmark } from './add-bookmark';
import { addUsers } from './add-users';
import { archiveChannel } from './archive-channel';
import { createChannel } from './create-channel';
import { createPostmortem } from './create-postmortem';
import { createThread } from './create-thread';
import type { StepKind } from './kind';
import { pinMessage } from './pin-message';
import { requestApproval } from './request-approval';
import { scheduleMessage } from './schedule-message';
import { sendMessage } from './send-message';
import { setTopic } from './set-topic';
import { updateMessage } from './update-message';
import { uploadFile } from './upload-file';
import { wait } from './wait';

export const STEP_KINDS = [
  createChannel,
  sendMessage,
  createThread,
  updateMessage,
  addUsers,
  setTopic,
  pinMessage,
  addBookmark,
  archiveChannel,
  scheduleMessage,
  wait,
  requestApproval,
  uploadFile,
  addActionItem,
  createPostmortem,
] as const;

type AnyKind = (typeof STEP_KINDS)[number];

/** One step of a runbook, as the workflow interprets it, discriminated by `op`. */
export type RunbookStep = ReturnType<AnyKind['normalize']>;
/** A step as the file writes it, discriminated by `Operation`. */
export type SourceStep = Parameters<AnyKind['normalize']>[0];

const byOperation = new Map<string, AnyKind>(STEP_KINDS.map((k) => [k.operation, k]));
const byOp = new Map<string, AnyKind>(STEP_KINDS.map((k) => [k.op, k]));

/** The kind a file's `Operation` names (the schema has already accepted it). */
export function kindOfOperation(operation: string): StepKind<SourceStep, RunbookStep> {
  const kind = byOperation.get(operation);
  if (!kind) throw new Error(`no step kind for operation ${operation}`);
  return kind as unknown as StepKind<SourceStep, RunbookStep>;
}

/** The kind of a normalized step. */
export function kindOf(step: RunbookStep): StepKind<SourceStep, RunbookStep> {
  const kind = byOp.get(step.op);
  if (!kind) throw new Error(`no step kind for op ${step.op}`);
  return kind as unknown as StepKind<SourceStep, RunbookStep>;
}
