/**
 * The approval as pipelines see it through the HTTP API: one zod schema,
 * from which the route's response, the OpenAPI component `Approval` and the
 * `ApprovalView` type of the service and the API client all come.
 */
import { z } from 'zod';
import { APPROVAL_STATUSES } from '../../core/approval/types';

/** Timestamps are ISO 8601 strings; documented as date-time, not re-checked on the way out. */
const Timestamp = z.string().meta({ format: 'date-time' });

const Verb = z.enum(['approve', 'reject']);
const Via = z.enum(['slack', 'cli', 'api']);
const User = z.object({ id: z.string(), name: z.string().optional() });

const DecidedBy = z
  .object({ token: z.string().optional(), operator: z.string().optional() })
  .describe('API and CLI decisions: the API token (by name) or the CLI operator that made it.');

export const RecordedDecisionSchema = z.object({
  verb: Verb,
  user: User,
  at: Timestamp,
  via: Via,
  reason: z.string().optional(),
  inputs: z.record(z.string(), z.string()).optional(),
  groups: z.array(z.string()),
  by: DecidedBy.optional(),
});

export const RefusedAttemptSchema = z.object({
  verb: z.enum(['approve', 'reject', 'exception', 'break-glass']),
  user: User,
  at: Timestamp,
  via: Via,
  why: z.string(),
  by: DecidedBy.optional(),
});

/** `ApprovalOutcomeStatus` (src/approvals/outcome.ts) as a schema. */
export const ApprovalStatusSchema = z
  .enum([...APPROVAL_STATUSES, 'held', 'failed'])
  .describe('`held`: pending, and an open incident or a freeze holds it (`heldBy` says which); `failed`: the run failed, was terminated or timed out; `reason` says why.');

const HoldSchema = z
  .object({
    source: z.enum(['incident', 'freeze']),
    id: z.string().describe('The incident\'s or freeze\'s workflow id.'),
    label: z.string().describe('How the card names it: `INC-123 (SEV1, checkout)`, or a freeze\'s reason.'),
    channel: z.string().optional().describe('An incident\'s Slack channel id.'),
    link: z.string().optional(),
    commander: z.string().optional().describe('An incident\'s commander (Slack user id): who may grant an exception.'),
    until: Timestamp.optional().describe('A freeze window\'s end.'),
    reason: z.string().optional(),
    integration: z.string().optional(),
  })
  .meta({ id: 'Hold' });

const Caller = z.object({ token: z.string().optional(), operator: z.string().optional() });

export const ApprovalViewSchema = z
  .object({
    id: z.string().describe('The workflow id, `approval:<pipeline>:<stage>:<execution>` (each part percent-encoded where it holds `:` or `%`).'),
    status: ApprovalStatusSchema,
    reason: z.string().optional().describe('Failed only: the root cause, e.g. a channel that does not exist.'),
    pipeline: z.string(),
    stage: z.string(),
    execution: z.string(),
    summary: z.string().optional(),
    link: z.string().optional(),
    approvers: z.record(z.string(), z.array(z.string())).describe('Eligible Slack user IDs by approver group.'),
    approvals: z.number().int(),
    needed: z.number().int(),
    decisions: z.array(RecordedDecisionSchema),
    refused: z.array(RefusedAttemptSchema),
    expiresAt: Timestamp,
    escalated: z.boolean(),
    finishedAt: Timestamp.optional(),
    outcomeNote: z.string().optional(),
    problems: z.array(z.string()).optional().describe('What went wrong beside the outcome, which it never changes, e.g. `card: not updated: is_archived`.'),
    message: z
      .object({ channel: z.string(), ts: z.string(), permalink: z.string().optional().describe('A link that opens the card in Slack.') })
      .optional()
      .describe('The Slack card, once posted.'),
    heldBy: z.array(HoldSchema).optional().describe('What holds it now (status `held`), or held it when it ended.'),
    heldSince: Timestamp.optional(),
    heldMs: z.number().int().optional().describe('Time held so far; with `deploys.whileHeld: pause` the deadline moved by as much.'),
    expiredHeld: z.boolean().optional().describe('It expired while held (`deploys.whileHeld: run`): rejected, whatever onTimeout said; `approval status` exits 6.'),
    exceptions: z
      .array(z.object({ hold: z.string(), by: z.string(), reason: z.string(), at: Timestamp, as: z.string(), caller: Caller.optional() }))
      .optional()
      .describe('Exceptions granted to its holds: by the incident\'s commander or an exception group.'),
    breakGlass: z
      .object({ by: z.string(), reason: z.string(), at: Timestamp, overrode: z.array(z.string()), review: z.string().optional(), caller: Caller.optional() })
      .optional()
      .describe('A break-glass that let it through its holds and approvers; `review` is the review it opened.'),
    proceed: z.boolean().optional().describe('Final only: may the pipeline go on (approved, or expired with onTimeout approve)?'),
    inputs: z.record(z.string(), z.string()).optional().describe('Final only: what the approvers filled in, the latest value of each field; each decision keeps its own in `decisions[].inputs`.'),
  })
  .meta({ id: 'Approval', description: 'An approval: its state while pending; once final, also `proceed` and `inputs`.' });

/** The API's view of an approval: its state, plus the result's verdict once it is final. */
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

/** What a decision or cancellation did (`DecideOutcome`, with the view's statuses). */
export const ApprovalOutcomeSchema = z.object({ accepted: z.boolean(), message: z.string(), status: ApprovalStatusSchema });
