/**
 * /api/v1/reviews: the review a break-glass opens (README, "Break-glass"),
 * read and signed off under the same rules as its Sign off button. Reading
 * needs `approvals:read`; signing off `approvals:decide`, as the token's own
 * Slack user (`slackUser`) unless it holds `approvals:decide-as-anyone`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { apiErrorResponses, errorResponse, strictBody } from './api';
import { unprocessable } from './errors';
import { actingUser, recordedCaller } from './api-auth';
import type { ReviewService } from '../reviews/service';
import { ReviewViewSchema, SignOffOutcomeSchema } from '../reviews/view';
import { MAX_APPROVAL_ID_LENGTH } from '../approvals/client';
import { MAX_NOTE_LENGTH } from '../../core/holds/review';
import { USER_ID } from '../../core/slack/mrkdwn';

const Params = z.object({ approvalId: z.string().min(1).max(MAX_APPROVAL_ID_LENGTH).describe('The approval\u2019s id (the review\u2019s is `review:<approval id>`).') });

const SignOffBody = strictBody({
  user: z.string().max(32).regex(USER_ID).optional().describe('Who signs off. Defaults to the token\u2019s own Slack user (`slackUser`); naming anyone else needs `approvals:decide-as-anyone`.'),
  note: z.string().max(MAX_NOTE_LENGTH).optional().describe('What the reviewer found; shown on the review message.'),
}).optional();

export function reviewApiRoutes(service: ReviewService): FastifyPluginAsync {
  return async (plain) => {
    const api = plain.withTypeProvider<ZodTypeProvider>();

    api.get(
      '/reviews/:approvalId',
      {
        config: { permission: 'approvals:read' },
        schema: {
          operationId: 'getReview',
          summary: 'The break-glass review of an approval: open, or its record once signed off',
          tags: ['reviews'],
          params: Params,
          response: { 200: { description: 'The review', content: { 'application/json': { schema: ReviewViewSchema } } }, ...apiErrorResponses(404) },
        },
      },
      async (request) => service.get(request.params.approvalId),
    );

    api.post(
      '/reviews/:approvalId/sign-off',
      {
        config: { permission: 'approvals:decide' },
        schema: {
          operationId: 'signOffReview',
          summary: 'Sign off a break-glass review as a Slack user, under the same rules as its button (a reviewer, never whoever broke the glass)',
          tags: ['reviews'],
          params: Params,
          body: SignOffBody,
          response: {
            200: { description: 'Signed off: the review is closed', content: { 'application/json': { schema: SignOffOutcomeSchema } } },
            409: errorResponse('Refused: `message` says why (not a reviewer, the person who broke the glass, already signed off)'),
            ...apiErrorResponses(400, 404, 422),
          },
        },
      },
      async (request) => {
        const caller = request.apiToken!;
        const signer = actingUser(caller, request.body?.user, 'approvals:decide-as-anyone', { verb: 'sign off', acts: 'signs off', acting: 'signing off' });
        if (!signer) throw unprocessable(`Name who signs off: the token "${caller.name}" is bound to no Slack user (slackUser).`, 'body.user');
        return service.signOff(request.params.approvalId, { user: { id: signer }, note: request.body?.note, via: 'api', by: recordedCaller(caller) });
      },
    );
  };
}
