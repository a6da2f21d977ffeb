import type { FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import { buildServer, type ServerDeps } from '../../../src/server/app';
import { MESSAGES } from '../../../src/server/click-delivery';
import { featureInteractionRoutes } from '../../../src/server/features';
import { featureRoute } from '../../../src/server/interaction-routes';
import { testClient, uniqueTaskQueue } from '../../support/temporal';
import { approvalDecisionSignal } from '../../../workflows/messages';
import { buttonClick, deadTemporalClient, formBody, LOOPBACK_REPLIES, responseUrlReceiver, signedRequest, SECRET, type ResponseUrlReceiver } from '../../support/server';

let client: Client;
let receiver: ResponseUrlReceiver;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  client = await testClient();
});
beforeEach(async () => {
  receiver = await responseUrlReceiver();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await receiver.close();
});
afterAll(() => client.connection.close());

async function server(overrides: Partial<ServerDeps> = {}): Promise<FastifyInstance> {
  const app = await buildServer({
    temporal: client,
    logger: false,
    metrics: { defaultMetrics: false },
    signingSecrets: [SECRET],
    responseUrlBases: LOOPBACK_REPLIES,
    interactionRoutes: featureInteractionRoutes(),
    ...overrides,
  });
  apps.push(app);
  return app;
}

/** A workflow waiting for signals on a task queue no worker polls: signals still land in its history. */
async function waitingWorkflow(): Promise<string> {
  const workflowId = `server-click-${uniqueTaskQueue('wf')}`;
  await client.workflow.start('approval', { taskQueue: uniqueTaskQueue('no-worker'), workflowId, args: [] });
  return workflowId;
}

async function signalsIn(workflowId: string): Promise<Array<{ name: string; args: unknown[] }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a): a is NonNullable<typeof a> => Boolean(a))
    .map((a) => ({ name: a.signalName ?? '', args: (a.input?.payloads ?? []).map((p) => JSON.parse(Buffer.from(p.data ?? []).toString('utf8'))) }));
}

async function clicksMetric(app: FastifyInstance, outcome: string): Promise<number> {
  const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const m = new RegExp(`signalroom_slack_clicks_total\\{outcome="${outcome}"\\} (\\d+)`).exec(body);
  return m ? Number(m[1]) : NaN;
}

test('an approval button click becomes the approval signal, recorded even while no worker runs', async () => {
  const app = await server();
  const workflowId = await waitingWorkflow();
  const click = buttonClick({ actionId: 'signalroom:approval:approve', value: workflowId, responseUrl: `${receiver.url}/r1`, actionTs: '1700000001.000200' });
  const res = await app.inject(signedRequest(formBody(click)));
  expect(res.statusCode).toBe(200);

  expect(await signalsIn(workflowId)).toEqual([
    {
      name: 'approvalDecision',
      args: [
        {
          verb: 'approve',
          user: { id: 'U0CLICKER', name: 'clicker', teamId: 'T0TEST' },
          // What the signature proved: the app that signed it, and where the click was.
          provenance: { integrations: ['organization'], teamId: 'T0TEST', channelId: 'C0DEPLOYS', messageTs: '1700000000.000100' },
          channelId: 'C0DEPLOYS',
          messageTs: '1700000000.000100',
          // The response_url is a capability: sealed, never in plain text in the history.
          responseUrl: expect.stringMatching(/^sealed:v1:organization:[A-Za-z0-9_-]+$/),
          triggerId: '1234.5678.abcd',
          actionTs: '1700000001.000200',
        },
      ],
    },
  ]);
  expect(JSON.stringify(await signalsIn(workflowId))).not.toContain(receiver.url);
  expect(await clicksMetric(app, 'delivered')).toBe(1);

  // Slack retrying the same request (same click) does not signal twice.
  const retry = await app.inject(signedRequest(formBody(click), { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }));
  expect(retry.statusCode).toBe(200);
  expect(await signalsIn(workflowId)).toHaveLength(1);
  expect(receiver.received).toEqual([]);
});

test('a modal submission signals with the flattened form values and the verb from private_metadata', async () => {
  const app = await server();
  const workflowId = await waitingWorkflow();
  const submission = {
    type: 'view_submission',
    team: { id: 'T0TEST' },
    user: { id: 'U0CLICKER', username: 'clicker', team_id: 'T0TEST' },
    api_app_id: 'A0TEST',
    trigger_id: '1.2.3',
    view: {
      id: 'V0MODAL',
      callback_id: 'signalroom:approval:decision',
      private_metadata: JSON.stringify({ workflowId, verb: 'reject' }),
      state: {
        values: {
          reason: { value: { type: 'plain_text_input', value: 'tests are red' } },
          region: { pick: { type: 'static_select', selected_option: { value: 'eu-west-1' } } },
          owners: { who: { type: 'multi_users_select', selected_users: ['U1', 'U2'] } },
          empty: { value: { type: 'plain_text_input', value: null } },
        },
      },
    },
  };
  const res = await app.inject(signedRequest(formBody(submission)));
  expect(res.statusCode).toBe(200);
  expect(res.body).toBe('');
  const [signal] = await signalsIn(workflowId);
  expect(signal.name).toBe('approvalDecision');
  expect(signal.args[0]).toMatchObject({
    verb: 'reject',
    user: { id: 'U0CLICKER', teamId: 'T0TEST' },
    values: { reason: 'tests are red', region: 'eu-west-1', owners: 'U1,U2' },
    metadata: { workflowId, verb: 'reject' },
  });
});

test('a click for a finished workflow is acknowledged and answered with an ephemeral note', async () => {
  const app = await server();
  const workflowId = await waitingWorkflow();
  await client.workflow.getHandle(workflowId).terminate('finished for the test');

  const res = await app.inject(signedRequest(formBody(buttonClick({ actionId: 'signalroom:approval:reject', value: workflowId, responseUrl: `${receiver.url}/finished` }))));
  expect(res.statusCode).toBe(200);
  const [answer] = await receiver.waitFor(1);
  expect(answer).toEqual({ path: '/finished', body: { response_type: 'ephemeral', replace_original: false, text: MESSAGES.workflowFinished } });
  expect(await clicksMetric(app, 'workflow_finished')).toBe(1);

  // A modal has no response_url: the answer replaces the modal's content.
  const modal = await app.inject(
    signedRequest(formBody({ type: 'view_submission', user: { id: 'U0CLICKER' }, view: { id: 'V1', callback_id: 'signalroom:approval:decision', private_metadata: JSON.stringify({ workflowId, verb: 'approve' }) } })),
  );
  expect(modal.statusCode).toBe(200);
  expect(modal.json()).toMatchObject({ response_action: 'update', view: { type: 'modal', blocks: [{ text: { text: MESSAGES.workflowFinished } }] } });
});

test('a click while Temporal is down is acknowledged, retried, and the clicker told it was not delivered', async () => {
  const app = await server({
    temporal: await deadTemporalClient(),
    delivery: { ackWithinMs: 100, deliverForMs: 1500, initialBackoffMs: 50, maxBackoffMs: 200, attemptTimeoutMs: 500 },
  });
  const res = await app.inject(signedRequest(formBody(buttonClick({ actionId: 'signalroom:approval:approve', value: 'approval-any', responseUrl: `${receiver.url}/down` }))));
  expect(res.statusCode).toBe(200);
  const [answer] = await receiver.waitFor(1);
  expect(answer).toEqual({ path: '/down', body: { response_type: 'ephemeral', replace_original: false, text: MESSAGES.undeliverable } });
  expect(await clicksMetric(app, 'undeliverable')).toBe(1);
  expect(await clicksMetric(app, 'delivered')).toBe(0);
});

test('on shutdown, deliveries still retrying get a bounded grace, then their clickers are told', async () => {
  const app = await server({
    temporal: await deadTemporalClient(),
    delivery: { ackWithinMs: 50, deliverForMs: 600_000, initialBackoffMs: 50, maxBackoffMs: 200, attemptTimeoutMs: 500, shutdownGraceMs: 200 },
  });
  const res = await app.inject(signedRequest(formBody(buttonClick({ actionId: 'signalroom:approval:approve', value: 'approval-any', responseUrl: `${receiver.url}/shutdown` }))));
  expect(res.statusCode).toBe(200);
  await app.close();
  expect(receiver.received).toEqual([{ path: '/shutdown', body: { response_type: 'ephemeral', replace_original: false, text: MESSAGES.shuttingDown } }]);
});

test('a click no route handles, and a button without a workflow id, get an ephemeral answer and signal nothing', async () => {
  const app = await server({ interactionRoutes: [featureRoute({ feature: 'approval', signal: approvalDecisionSignal })] });
  const unrouted = await app.inject(signedRequest(formBody(buttonClick({ actionId: 'signalroom:incident:ack', value: 'x', responseUrl: `${receiver.url}/unrouted` }))));
  expect(unrouted.statusCode).toBe(200);
  const noValue = await app.inject(signedRequest(formBody(buttonClick({ actionId: 'signalroom:approval:approve', responseUrl: `${receiver.url}/novalue` }))));
  expect(noValue.statusCode).toBe(200);
  const answers = await receiver.waitFor(2);
  expect(answers.map((a) => a.path).sort()).toEqual(['/novalue', '/unrouted']);
  expect(answers.find((a) => a.path === '/unrouted')!.body.text).toBe(MESSAGES.unrouted);
  expect(answers.find((a) => a.path === '/novalue')!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('not linked') });
});
