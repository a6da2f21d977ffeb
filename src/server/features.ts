/**
 * The features plugged into the server: their Slack interaction routes and
 * their /api/v1 routes. A new feature adds itself here; the plugins that
 * verify, route, authenticate and document stay untouched. `signalroom
 * server`, `signalroom dev` and the OpenAPI generator all read this list, so
 * the committed docs/openapi.json describes what runs.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Client } from '@temporalio/client';
import { approvalDecisionSignal, incidentTaskClickSignal, reviewSignOffClickSignal } from '../../workflows/messages';
import { featureRoute, type InteractionRoute } from './interaction-routes';
import { incidentApiRoutes } from './api-incidents';
import { IncidentService } from '../incidents/service';
import { approvalApiRoutes } from './api-approvals';
import { ApprovalService } from '../approvals/service';
import { approvalModalRoute } from '../approvals/slack-routes';
import type { ApprovalNames } from '../approvals/client';
import type { RequesterCheck } from '../approvals/requester-check';
import type { CallbackCheck } from '../approvals/callback-check';
import { reviewApiRoutes } from './api-reviews';
import { ReviewService } from '../reviews/service';
import { freezeApiRoutes } from './api-freezes';
import { FreezeService } from '../freezes/service';

export interface FeatureContext {
  temporal: Client;
  /** The worker's task queue, where API routes start workflows. */
  taskQueue: string;
  /** Folders of runbook files (config `runbooks.dirs`). @default ['runbooks'] */
  runbookDirs?: string[];
  /** The approver groups and webhooks an approval request may name (config). @default unchecked: the workflow refuses unknown ones */
  approvalNames?: () => ApprovalNames;
  /** Checks before starting that `requestedBy` is exactly one Slack user (422 otherwise). @default the workflow checks it, and fails the run */
  checkRequester?: RequesterCheck;
  /** Checks a request's callback URL before starting: callbacks configured, its host one the outbound client may call (422 otherwise). @default the worker checks it when it calls, and records a problem */
  checkCallback?: CallbackCheck;
}

export function featureInteractionRoutes(): InteractionRoute[] {
  return [
    // approve / reject buttons and the decision modal's submit
    featureRoute({ feature: 'approval', signal: approvalDecisionSignal, verbs: ['approve', 'reject', 'decision'] }),
    // reject-with-reason / approve-with-inputs: the server opens the decision modal itself
    approvalModalRoute(),
    // an incident action item's Done button (the workflow checks the clicker is in the incident channel)
    featureRoute({ feature: 'task', signal: incidentTaskClickSignal, verbs: ['done'], views: false }),
    // a break-glass review's Sign off button (the workflow checks the click against its message, and who may sign off)
    featureRoute({ feature: 'review', signal: reviewSignOffClickSignal, verbs: ['sign-off'], views: false }),
  ];
}

export function featureApiRoutes(context: FeatureContext): FastifyPluginAsync[] {
  return [
    incidentApiRoutes(new IncidentService(context.temporal, context.taskQueue, context.runbookDirs ?? ['runbooks'])),
    approvalApiRoutes(new ApprovalService(context.temporal, context.taskQueue, context.approvalNames, context.checkRequester, context.checkCallback)),
    reviewApiRoutes(new ReviewService(context.temporal)),
    freezeApiRoutes(new FreezeService(context.temporal, context.taskQueue)),
  ];
}
