/**
 * A hundred approvals requested at once into one channel, against the
 * sandbox with Slack's own rate limits on: a channel takes a burst of 20
 * posts, then about one a second, and answers 429 with a Retry-After past
 * that. Every card is posted, none twice, and Slack refuses only the few
 * calls in flight when it first says no: the worker paces the channel
 * (src/slack/pacer.ts) instead of every activity retrying into it.
 */
import { requestApproval } from '../../../src/approvals/client';
import { slackHarness, type SlackHarness } from '../../support/slack';
import { runningWorker, type RunningWorker } from '../../support/temporal';
import { eventually } from '../../support/eventually';

jest.setTimeout(300_000);

const DEPLOYS = 'C0DEPLOYS';
const APPROVALS = 100;

let h: SlackHarness;
let w: RunningWorker;

beforeAll(async () => {
  h = await slackHarness({ approverGroups: { release: { userGroups: ['@release-managers'] } } }, { rateLimits: true });
  w = await runningWorker({ activityDeps: { integrations: h.integrations } });
});

afterAll(async () => {
  await w?.stop();
  await h?.close();
});

test('a hundred approvals into one channel: one card each, and few 429s from Slack', async () => {
  const pipeline = `burst-${Date.now().toString(36)}`;
  const executions = Array.from({ length: APPROVALS }, (_, i) => `run-${i}`);
  const handles = await Promise.all(
    executions.map((execution) => requestApproval(w.client, { pipeline, stage: 'prod', execution, approverGroups: ['release'], timeout: '1h', destination: { channel: '#deploys' } }, w.taskQueue)),
  );
  const cardsOf = () => h.sandbox.messages(DEPLOYS).filter((m) => !m.threadTs && m.text.includes(pipeline));
  try {
    // At a post a second past the burst, the last card needs about 80 s.
    await eventually('every card posted', () => cardsOf().length >= APPROVALS, 240_000, 500);

    // One card per approval, none twice.
    const perExecution = new Map<string, number>();
    for (const m of cardsOf()) {
      const execution = /\((run-\d+)\)/.exec(m.text)?.[1] ?? m.text;
      perExecution.set(execution, (perExecution.get(execution) ?? 0) + 1);
    }
    expect([...perExecution.keys()].sort()).toEqual([...executions].sort());
    expect([...perExecution.values()].filter((n) => n !== 1)).toEqual([]);

    // Slack refused the posts in flight when the burst ran out (at most 4 to a channel), not one per waiting approval.
    const posts = h.sandbox.calls('chat.postMessage').filter((c) => c.args.channel === DEPLOYS);
    const refused = posts.filter((c) => c.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(8);
    expect(posts.filter((c) => c.ok)).toHaveLength(APPROVALS);
    // Nor anything else the approvals called (their look-ups, approvers, links) past a few: on a quiet
    // machine 4 calls in all, beside other test suites up to 20; unpaced, the same burst meets about
    // 3,000 (bench/README.md, "100 approvals into one channel"). By method, so a failure says which.
    const refusedByMethod: Record<string, number> = {};
    for (const c of h.sandbox.calls().filter((call) => call.status === 429)) refusedByMethod[c.method] = (refusedByMethod[c.method] ?? 0) + 1;
    const total = Object.values(refusedByMethod).reduce((a, n) => a + n, 0);
    // At most 30; on failure the diff shows the methods beside the total.
    expect([total, refusedByMethod]).toEqual([Math.min(total, 30), refusedByMethod]);
  } finally {
    await Promise.all(handles.map((handle) => handle.terminate('rate-limit test finished').catch(() => undefined)));
  }
});
