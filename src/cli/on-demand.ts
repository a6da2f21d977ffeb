/**
 * What a command needs only when it goes straight to Temporal or reads local
 * files, loaded at that moment: a command through the API (`--api`) never
 * loads Temporal's client, the configuration schema, YAML or the runbook
 * parser. CommonJS `require`, not `import()`: the sources run through tsx's
 * CommonJS hook, which a dynamic import would bypass.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const onDemand = {
  config: () => require('../config/load') as typeof import('../config/load'),
  env: () => require('../config/env') as typeof import('../config/env'),
  temporal: () => require('../temporal/connection') as typeof import('../temporal/connection'),
  validate: () => require('../../core/runbook/validate') as typeof import('../../core/runbook/validate'),
  approvalsClient: () => require('../approvals/client') as typeof import('../approvals/client'),
  approvalsService: () => require('../approvals/service') as typeof import('../approvals/service'),
  callbackCheck: () => require('../approvals/callback-check') as typeof import('../approvals/callback-check'),
  approvalsPort: () => require('../approvals/port') as typeof import('../approvals/port'),
  reviewsService: () => require('../reviews/service') as typeof import('../reviews/service'),
  reviewsPort: () => require('../reviews/port') as typeof import('../reviews/port'),
  incidentsClient: () => require('../incidents/client') as typeof import('../incidents/client'),
  incidentsService: () => require('../incidents/service') as typeof import('../incidents/service'),
  freezesService: () => require('../freezes/service') as typeof import('../freezes/service'),
};
/* eslint-enable @typescript-eslint/no-require-imports */
