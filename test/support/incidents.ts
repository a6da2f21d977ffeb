/**
 * Shared by the incident tests: a sandbox Slack with the integrations the
 * worker would build for it (its secrets known to the suite's scan),
 * runbooks from text, and a bounded poll.
 */
import type { Sandbox, Message } from '../../src/sandbox';
import { parseRunbook } from '../../src/runbook/validate';
import type { Runbook } from '../../src/runbook/types';
import { slackHarness, type SlackHarness } from './slack';

export type IncidentSlack = SlackHarness;

export function incidentSlack(options: { rateLimits?: boolean } = {}): Promise<IncidentSlack> {
  return slackHarness({}, { rateLimits: options.rateLimits ?? false, timeoutMs: 3000 });
}

/** A runbook from YAML text; fails the test with the problems when it is invalid. */
export function runbookFrom(text: string, file = 'test-runbook.yaml'): Runbook {
  const { runbook, problems } = parseRunbook(text, file);
  if (!runbook || problems.length) throw new Error(`invalid test runbook: ${JSON.stringify(problems)}`);
  return runbook;
}

export { eventually } from './eventually';

/** Top-level messages and replies of a channel whose text contains `fragment`. */
export function messagesWith(sandbox: Sandbox, channelId: string, fragment: string | RegExp): Message[] {
  return sandbox.messages(channelId).filter((m) => (typeof fragment === 'string' ? m.text.includes(fragment) : fragment.test(m.text)));
}

let seq = 0;
/** An incident id unique within the test run (channel names stay free across tests on the shared dev server). */
export function uniqueIncidentId(prefix = 'INC'): string {
  return `${prefix}-${Date.now().toString(36)}${(++seq).toString(36)}`;
}
