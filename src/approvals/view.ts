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
  verb: Verb,
  user: User,
  at: Timestamp,
  via: Via,
  why: z.string(),
  by: DecidedBy.optional(),
});

/** `ApprovalOutcomeStatus` (src/approvals/outcome.ts) as a schema. */
export const ApprovalStatusSchema = z
  .enum([...APPROVAL_STATUSES, 'failed'])
  .describe('`failed`: the run failed, was terminated or timed out; `reason` says why.');

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
    proceed: z.boolean().optional().describe('Final only: may the pipeline go on (approved, or expired with onTimeout approve)?'),
    inputs: z.record(z.string(), z.string()).optional().describe('Final only: what the approvers filled in, the latest value of each field; each decision keeps its own in `decisions[].inputs`.'),
  })
  .meta({ id: 'Approval', description: 'An approval: its state while pending; once final, also `proceed` and `inputs`.' });

/** The API's view of an approval: its state, plus the result's verdict once it is final. */
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

/** What a decision or cancellation did (`DecideOutcome`, with the view's statuses). */
export const ApprovalOutcomeSchema = z.object({ accepted: z.boolean(), message: z.string(), status: ApprovalStatusSchema });
