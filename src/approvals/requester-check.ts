/**
 * Before an approval starts: is its `requestedBy` exactly one Slack user of
 * the workspace the card goes to? The workflow checks it again when it
 * resolves its approvers; checking here first lets the API answer 422 and
 * the CLI exit 64, naming the value, instead of starting a run that fails.
 */
import { SlackContext } from '../../activities/slack/context';
import { resolveRequester, type RequesterResolution } from '../../activities/slack/requester';
import { IntegrationError, type IntegrationRegistry } from '../slack/integrations';
import type { ApprovalRequest } from '../../core/approval/types';

export type RequesterCheck = (request: Pick<ApprovalRequest, 'requestedBy' | 'destination'>) => Promise<RequesterResolution>;

export function requesterCheck(integrations: IntegrationRegistry): RequesterCheck {
  const slack = new SlackContext({ integrations });
  return async (request) => {
    if (request.requestedBy === undefined) return { ok: true, userId: '' };
    const dest = request.destination;
    let name: string;
    try {
      name = 'webhook' in dest ? integrations.webhookOwner(dest.webhook) : (dest.integration ?? integrations.resolveFor(dest.project, dest.connector));
    } catch (err) {
      // An unknown project or connector is the workflow's to report; the requester is checked there.
      if (err instanceof IntegrationError) return { ok: true, userId: '' };
      throw err;
    }
    return resolveRequester(slack, await integrations.get(name), request.requestedBy);
  };
}
