/**
 * Recorded incident histories replayed against the current workflow code.
 * A change that would break incidents already running (a step's commands in
 * another order, a timer where an activity was) fails here: guard it with
 * `patched()` (see the README), don't re-record.
 *
 * Re-recording (only for a deliberate, compatible change of the fixtures):
 *   SIGNALROOM_RECORD_HISTORIES=1 npx jest test/integration/incidents/replay
 */
import path from 'node:path';
import { loadRunbookFile } from '../../../src/runbook/load';
import { openIncident } from '../../../src/incidents/client';
import { incidentResolveSignal, incidentSeveritySignal, incidentStateQuery, incidentUpdateSignal } from '../../../workflows/messages';
import { recordHistory, replayRecordedRun } from '../../support/history';
import { testClient, testWorker } from '../../support/temporal';
import { eventually, incidentSlack } from '../../support/incidents';

const RUNBOOKS = path.join(__dirname, '../../../runbooks');
const FIXTURE_RUNBOOKS = path.join(__dirname, '../../fixtures/runbooks/incidents');

/** Each fixture: the history file, its workflow id, and how it was recorded. */
const FIXTURES = [
  { file: 'incident-lifecycle.json', incidentId: 'REPLAY-LIFECYCLE', runbook: path.join(FIXTURE_RUNBOOKS, 'lifecycle.yaml'), severity: 'SEV2' },
  { file: 'incident-seed-example.json', incidentId: 'REPLAY-SEED', runbook: path.join(RUNBOOKS, 'seed-example.yaml'), severity: 'SEV1' },
];

/**
 * Histories recorded by earlier versions of the workflow, kept to prove that
 * incidents already running replay after a `patched()` change. Never re-recorded.
 */
const RECORDED_BEFORE = [
  // before `patched('resolve-integration-locally')`: the integration was resolved by a regular activity
  { file: 'incident-lifecycle.before-local-integration.json', incidentId: 'REPLAY-LIFECYCLE' },
  { file: 'incident-seed-example.before-local-integration.json', incidentId: 'REPLAY-SEED' },
  // before `patched('slack-steps-local')`: every Slack call of a step was a regular activity
  { file: 'incident-lifecycle.before-local-slack-steps.json', incidentId: 'REPLAY-LIFECYCLE' },
  { file: 'incident-seed-example.before-local-slack-steps.json', incidentId: 'REPLAY-SEED' },
];

const recording = process.env.SIGNALROOM_RECORD_HISTORIES === '1';

(recording ? describe : describe.skip)('recording fixtures (skipped unless SIGNALROOM_RECORD_HISTORIES=1: it rewrites the committed histories)', () => {
  test.each(FIXTURES)('records $file', async (f) => {
    const slack = await incidentSlack();
    const client = await testClient();
    const w = await testWorker({ activityDeps: { integrations: slack.integrations } });
    try {
      const runbook = (await loadRunbookFile(f.runbook)).runbook!;
      await w.runUntil(async () => {
        const handle = await openIncident(
          client,
          runbook,
          { 'incident.id': f.incidentId, 'incident.title': 'Checkout errors', 'incident.severity': f.severity, 'incident.service': 'checkout', 'incident.description': 'Card payments failing' },
          w.taskQueue,
        );
        await eventually('open', async () => (await handle.query(incidentStateQuery)).status === 'open');
        await handle.signal(incidentUpdateSignal, { text: 'Investigating', author: 'U0ALICE' });
        await handle.signal(incidentUpdateSignal, { text: 'Rolled back', author: 'U0BOB' });
        await eventually('two updates', async () => (await handle.query(incidentStateQuery)).updates === 2);
        if (f.severity === 'SEV2') {
          await handle.signal(incidentSeveritySignal, { severity: 'SEV1', by: 'U0CAROL' });
          await eventually('a reminder', async () => (await handle.query(incidentStateQuery)).reminders >= 1);
        }
        await handle.signal(incidentResolveSignal, { summary: 'Fixed', resolvedBy: 'U0CAROL' });
        await handle.result();
        recordHistory(handle.workflowId, f.file);
      });
    } finally {
      await w.close();
      await client.connection.close();
      await slack.close();
    }
  });
});

describe('replay', () => {
  test.each([...FIXTURES, ...RECORDED_BEFORE])('$file replays on the current incident workflow', async (f) => {
    // A full run: opened, resolved, completed.
    await replayRecordedRun(f.file, `incident-${f.incidentId}`);
  });
});
