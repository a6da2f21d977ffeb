/**
 * An approval tells each of its outcome targets (`notify`: a callback URL, a
 * GitHub deployment protection rule) what was decided, through the
 * `deliverOutcome` activity and the deliverer for the target's kind. A
 * target whose side ended meanwhile ends the approval so, card included; a
 * target that cannot be told is a problem beside the outcome, never a change of it.
 */
import { normalizeApprovalRequest, requestApproval } from '../../../src/approvals/client';
import type { OutcomeReport, OutcomeTarget } from '../../../core/approval/types';
import type { OutcomeDeliverers } from '../../../activities/outcomes';
import { refusal } from '../../../src/slack/errors';
import { decideUpdate } from '../../../workflows/messages';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { slackHarness, type SlackHarness } from '../../support/slack';
import { card, eventually, uniqueExecution, visibleText } from '../../support/approvals';

let h: SlackHarness;
let w: RunningWorker;
const told: Array<{ target: OutcomeTarget; report: OutcomeReport }> = [];
const deliverers: OutcomeDeliverers = {
  callback: async (target, report) => {
    told.push({ target, report });
    if (target.url.endsWith('/gone')) throw refusal('Signalroom:callback_refused', 'the callback answered HTTP 410');
    return {};
  },
  github: async (target, report) => {
    told.push({ target, report });
    return { superseded: { status: 'cancelled', note: `GitHub: run ${target.runId} was cancelled meanwhile` } };
  },
};

beforeAll(async () => {
  h = await slackHarness({ approverGroups: { release: { users: ['U0CAROL', 'U0DAVE'] } } });
  w = await runningWorker({ activityDeps: { integrations: h.integrations, outcomeDeliverers: deliverers } });
});
afterAll(async () => {
  await w?.stop();
  await h?.close();
});

async function decided(notify: OutcomeTarget[]) {
  const execution = uniqueExecution('targets');
  const handle = await requestApproval(w.client, normalizeApprovalRequest({ pipeline: 'api', stage: 'prod', execution, approverGroups: ['release'], destination: { channel: '#deploys' }, timeout: '10m', notify }), w.taskQueue);
  await eventually('the card', () => card(h.sandbox, execution));
  await handle.executeUpdate(decideUpdate, { args: [{ verb: 'approve', user: { id: 'U0CAROL' }, via: 'cli', by: { operator: 'ops@ci' } }] });
  return { execution, result: await handle.result() };
}

test('each target is told the outcome once decided, with who decided', async () => {
  const { result } = await decided([{ kind: 'callback', url: 'https://ci.example.com/resume/7' }]);
  expect(result).toMatchObject({ status: 'approved', proceed: true });
  expect(result.problems).toBeUndefined();
  const mine = told.filter((t) => t.report.approvalId === result.workflowId);
  expect(mine).toEqual([{ target: { kind: 'callback', url: 'https://ci.example.com/resume/7' }, report: expect.objectContaining({ status: 'approved', proceed: true, decisions: [expect.objectContaining({ verb: 'approve', user: { id: 'U0CAROL' } })] }) }]);
});

test("a target whose side ended meanwhile ends the approval as cancelled, and the card says so", async () => {
  const { execution, result } = await decided([{ kind: 'github', app: 'deploys', installationId: 1, repository: 'acme/api', environment: 'production', runId: 42 }]);
  expect(result).toMatchObject({ status: 'cancelled', proceed: false, outcomeNote: 'GitHub: run 42 was cancelled meanwhile' });
  await eventually('the card to say cancelled', () => visibleText(card(h.sandbox, execution)!).includes('GitHub: run 42 was cancelled meanwhile'));
});

test('a target that cannot be told is a problem beside the outcome, which stands', async () => {
  const { result } = await decided([{ kind: 'callback', url: 'https://ci.example.com/gone' }]);
  expect(result).toMatchObject({ status: 'approved', proceed: true, problems: [expect.stringContaining('callback: not told: the callback answered HTTP 410')] });
});
