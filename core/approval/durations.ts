/**
 * An approval's durations: the one default timeout, and the milliseconds a
 * run waits, read from its input. Durations are parsed once, where a request
 * enters (src/approvals/client.ts), with the one duration parser; only runs
 * recorded before then carry text, read here with that same parser. Pure:
 * the workflow imports it.
 */
import { parseDuration } from '../runbook/duration';
import type { ApprovalInput, RecordedApprovalInput } from './types';

/** How long an approval waits when the request does not say. */
export const DEFAULT_APPROVAL_TIMEOUT = '1h';

export type ApprovalDurationField = 'timeout' | 'remindEvery' | 'escalation.after';

export function isApprovalInput(request: RecordedApprovalInput): request is ApprovalInput {
  return typeof (request as Partial<ApprovalInput>).timeoutMs === 'number';
}

/**
 * The duration `field` of a run's input in milliseconds (undefined when the
 * request has none); a recorded text that does not parse throws a RangeError.
 */
export function approvalDuration(request: RecordedApprovalInput, field: ApprovalDurationField): number | undefined {
  if (isApprovalInput(request)) return field === 'timeout' ? request.timeoutMs : field === 'remindEvery' ? request.remindEveryMs : request.escalation?.afterMs;
  const text = field === 'timeout' ? (request.timeout ?? DEFAULT_APPROVAL_TIMEOUT) : field === 'remindEvery' ? request.remindEvery : request.escalation?.after;
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (!(ms > 0)) throw new RangeError(`"${text}" is not a positive duration`);
  return ms;
}
