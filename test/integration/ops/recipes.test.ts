/**
 * The README's list-filter recipes, run with the Temporal CLI against runs
 * made for them: approvals through requestApproval and a worker on the
 * sandbox Slack (decided with the `decide` update), incidents through
 * openIncident with the seed-example runbook. Each recipe must list exactly
 * the runs that match it, and none of the ones built to nearly match.
 */
import { holdBoardId } from '../../../workflows/holds/board';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { requestApproval } from '../../../src/approvals/client';
import { openIncident } from '../../../src/incidents/client';
import { loadRunbookFile } from '../../../src/runbook/load';
import type { Runbook } from '../../../core/runbook/types';
import { LIST_RECIPES, narrowQuery, recipeUrl, type ListRecipeName } from '../../../src/temporal/recipes';
import { SA } from '../../../workflows/search-attributes';
import { approvalStateQuery, decideUpdate, incidentResolveSignal, incidentSeveritySignal, incidentStateQuery } from '../../../workflows/messages';
import type { ApprovalRequest } from '../../../core/approval/types';
import { slackHarness, type SlackHarness } from '../../support/slack';
import { testClient, testWorker, type TestWorker } from '../../support/temporal';
import { eventually, temporalWorkflowList } from '../../support/ops';

const root = path.resolve(__dirname, '../../..');

describe('the README shows the recipes', () => {
  test('every recipe query appears verbatim in README.md', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const [name, recipe] of Object.entries(LIST_RECIPES)) {
      expect({ name, inReadme: readme.includes(`\`${recipe.query}\``) }).toEqual({ name, inReadme: true });
    }
  });

  test('recipeUrl opens the Workflows list with the query', () => {
    expect(recipeUrl('http://localhost:8233/', 'default', "SignalroomKind = 'approval'")).toBe(
      'http://localhost:8233/namespaces/default/workflows?query=SignalroomKind%20%3D%20\'approval\'',
    );
  });
});

describe('list-filter recipes on the dev server', () => {
  let h: SlackHarness;
  let client: Client;
  let w: TestWorker;
  let runbook: Runbook;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] } } });
    client = await testClient();
    w = await testWorker({ activityDeps: { integrations: h.integrations } });
    const loaded = await loadRunbookFile(path.join(root, 'runbooks/seed-example.yaml'));
    expect(loaded.problems).toEqual([]);
    runbook = loaded.runbook!;
  });
  afterAll(async () => {
    await w?.close();
    await client?.connection.close();
    await h?.close();
  });

  test('each recipe lists exactly the runs that match it', async () => {
    let approvals = 0;
    const approvalRun = async (pipeline: string, stage: string, requestedBy: string | undefined, extra: Partial<ApprovalRequest> = {}) => {
      const handle = await requestApproval(
        client,
        { pipeline, stage, execution: `recipes-${run}-${++approvals}`, approverGroups: ['release'], requestedBy, destination: { channel: '#deploys' }, timeout: '10m', ...extra },
        w.taskQueue,
      );
      // Decisions count once the approvers are resolved and the card is posted.
      await eventually(`${handle.workflowId} to post its card`, async () => (await handle.query(approvalStateQuery)).message !== undefined);
      return handle;
    };
    const decide = async (handle: WorkflowHandle, verb: 'approve' | 'reject', user: string) => {
      const outcome = await handle.executeUpdate(decideUpdate, { args: [{ verb, user: { id: user }, via: 'api', reason: verb === 'reject' ? 'not today' : undefined }] });
      expect(outcome).toMatchObject({ accepted: true });
      await handle.result();
    };
    const incidentRun = async (n: number, severity: string, service: string) => {
      const id = `REC-${run}-${n}`;
      const handle = await openIncident(client, runbook, { 'incident.id': id, 'incident.severity': severity, 'incident.service': service, 'incident.description': `recipe test ${n}` }, w.taskQueue);
      await eventually(`${id} to be open`, async () => (await handle.query(incidentStateQuery)).status === 'open');
      return handle;
    };

    const ids = await w.runUntil(async () => {
      const [a1, a2, a3, a4, a5, a6, a7] = await Promise.all([
        approvalRun('api', 'production', 'U0DAVE'), // pending
        approvalRun('web', 'production', 'U0ALICE'), // pending, another pipeline
        approvalRun('api', 'staging', 'U0DAVE'), // approved by carol
        approvalRun('web', 'production', 'U0ALICE'), // rejected by dave
        approvalRun('api', 'production', 'U0ALICE'), // rejected by carol
        approvalRun('web', 'staging', undefined, { timeout: '2s' }), // expires
        approvalRun('api', 'production', 'U0DAVE'), // terminated while pending
      ]);
      const [i1, i2, i3, i4, i5] = await Promise.all([
        incidentRun(1, 'SEV1', 'checkout'), // open
        incidentRun(2, 'SEV2', 'checkout'), // open, lower severity
        incidentRun(3, 'SEV2', 'payments'), // raised to SEV1
        incidentRun(4, 'SEV1', 'checkout'), // resolved
        incidentRun(5, 'SEV1', 'search'), // terminated
      ]);
      await Promise.all([decide(a3, 'approve', 'U0CAROL'), decide(a4, 'reject', 'U0DAVE'), decide(a5, 'reject', 'U0CAROL'), a6.result()]);
      await a7.terminate('recipe test: a run that ended badly');
      await i3.signal(incidentSeveritySignal, { severity: 'SEV1', by: 'U0ALICE' });
      await eventually('INC 3 to be SEV1', async () => (await i3.query(incidentStateQuery)).incident.severity === 'SEV1');
      await i4.signal(incidentResolveSignal, { summary: 'fixed', resolvedBy: 'U0BOB' });
      await i4.result();
      await i5.terminate('recipe test: a run that ended badly');
      return { a1, a2, a3, a4, a5, a6, a7, i1, i2, i3, i4, i5 };
    });

    // Visibility is eventually consistent: wait until it shows every run's final state, then ask each recipe once.
    const finalState: Record<string, string> = {
      [ids.a1.workflowId]: 'RUNNING pending',
      [ids.a2.workflowId]: 'RUNNING pending',
      [ids.a3.workflowId]: 'COMPLETED approved',
      [ids.a4.workflowId]: 'COMPLETED rejected',
      [ids.a5.workflowId]: 'COMPLETED rejected',
      [ids.a6.workflowId]: 'COMPLETED expired',
      [ids.a7.workflowId]: 'TERMINATED pending',
      [ids.i1.workflowId]: 'RUNNING open SEV1',
      [ids.i2.workflowId]: 'RUNNING open SEV2',
      [ids.i3.workflowId]: 'RUNNING open SEV1',
      [ids.i4.workflowId]: 'COMPLETED resolved SEV1',
      [ids.i5.workflowId]: 'TERMINATED open SEV1',
    };
    let seen: Record<string, string> = {};
    await eventually(
      'visibility to show every run in its final state',
      async () => {
        seen = {};
        for await (const wf of client.workflow.list({ query: `TaskQueue = '${w.taskQueue}'` })) {
          // The hold board the approvals asked runs on the same task queue; no recipe lists it.
          if (wf.workflowId === holdBoardId(w.taskQueue)) continue;
          seen[wf.workflowId] = [wf.status.name, wf.typedSearchAttributes.get(SA.status), wf.typedSearchAttributes.get(SA.severity)].filter(Boolean).join(' ');
        }
        return Object.keys(finalState).every((id) => seen[id] === finalState[id]) && Object.keys(seen).length === Object.keys(finalState).length;
      },
      20_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${JSON.stringify(seen)}; wanted ${JSON.stringify(finalState)}`);
    });

    const expected: Record<ListRecipeName, WorkflowHandle[]> = {
      pendingApprovalsOfPipeline: [ids.a1],
      openSev1Incidents: [ids.i1, ids.i3],
      approvalsDecidedBy: [ids.a3, ids.a5],
      approvalsRequestedBy: [ids.a1, ids.a3, ids.a7],
      rejectedProductionApprovals: [ids.a4, ids.a5],
      expiredApprovals: [ids.a6],
      openIncidentsOfService: [ids.i1, ids.i2],
      runsThatEndedBadly: [ids.a7, ids.i5],
    };
    const listed: Record<string, string[]> = {};
    const wanted: Record<string, string[]> = {};
    for (const [name, recipe] of Object.entries(LIST_RECIPES) as Array<[ListRecipeName, (typeof LIST_RECIPES)[ListRecipeName]]>) {
      const rows = await temporalWorkflowList(narrowQuery(recipe.query, `TaskQueue = '${w.taskQueue}'`));
      listed[name] = rows.map((r) => r.workflowId).sort();
      wanted[name] = expected[name].map((x) => x.workflowId).sort();
    }
    expect(listed).toEqual(wanted);

    // The runs still going are stopped so they leave nothing behind.
    await Promise.all([ids.a1, ids.a2, ids.i1, ids.i2, ids.i3].map((x) => x.terminate('recipe test finished').catch(() => undefined)));
  });
});
