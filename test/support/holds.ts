/**
 * Shared by the hold tests: the smallest runbook whose incident has a
 * channel, so an incident's hold can link it.
 */
import { runbookFrom } from './incidents';

export const HOLDS_RUNBOOK = runbookFrom(`
name: holds
inputs: [incident.id, incident.severity, incident.service]
steps:
  - Action Type: Slack
    Operation: Create Channel
    Name: "inc-[incident.id]"
`);
