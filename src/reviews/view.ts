/**
 * A break-glass review as the HTTP API and the CLI show it: one zod schema,
 * from which the route's response, the OpenAPI component `Review` and the
 * `ReviewView` type of the service and the API client all come.
 */
import { z } from 'zod';

const Timestamp = z.string().meta({ format: 'date-time' });
const User = z.object({ id: z.string(), name: z.string().optional() });
const Via = z.enum(['slack', 'cli', 'api']);
const Caller = z
  .object({ token: z.string().optional(), operator: z.string().optional() })
  .describe('API and CLI: the API token (by name) or the CLI operator that made it.');

export const ReviewStatusSchema = z.enum(['open', 'signed-off', 'failed']).describe('`failed`: the run failed or was terminated; `reason` says why.');

export const ReviewViewSchema = z
  .object({
    id: z.string().describe('The review\u2019s workflow id, `review:<approval id>`.'),
    approvalId: z.string(),
    status: ReviewStatusSchema,
    reason: z.string().optional().describe('Failed only: the root cause, e.g. a review channel that does not exist.'),
    pipeline: z.string(),
    stage: z.string(),
    execution: z.string(),
    summary: z.string().optional(),
    breakGlass: z.object({
      by: z.string().describe('Who broke the glass (a Slack user ID).'),
      reason: z.string(),
      at: Timestamp,
      overrode: z.array(z.string()).describe('The holds it overrode, by label.'),
      caller: Caller.optional(),
    }),
    reviewerGroups: z.array(z.string()),
    reviewers: z.record(z.string(), z.array(z.string())).describe('Slack user IDs by reviewer group, as last resolved.'),
    reminders: z.number().int(),
    openedAt: Timestamp,
    finishedAt: Timestamp.optional(),
    signedOff: z.object({ user: User, note: z.string().optional(), at: Timestamp, via: Via, groups: z.array(z.string()), by: Caller.optional() }).optional(),
    refused: z.array(z.object({ user: User, at: Timestamp, via: Via, why: z.string(), by: Caller.optional() })).describe('The most recent refused sign-offs.'),
    notified: z.object({ approvers: z.array(z.string()), incidentChannels: z.array(z.string()) }).describe('Who was told of the break-glass.'),
    problems: z.array(z.string()).optional().describe('What went wrong beside the review, which never closes it, e.g. a direct message Slack refused.'),
    message: z.object({ channel: z.string(), ts: z.string(), permalink: z.string().optional() }).optional().describe('The review message in Slack, once posted.'),
  })
  .meta({ id: 'Review', description: 'The review a break-glass opened: open until a reviewer other than whoever broke the glass signs it off.' });

export type ReviewView = z.infer<typeof ReviewViewSchema>;

/** What a sign-off did. */
export const SignOffOutcomeSchema = z.object({ accepted: z.boolean(), message: z.string(), status: ReviewStatusSchema });
