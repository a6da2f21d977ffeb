/**
 * Which consecutive steps the incident workflow posts together, in one local
 * activity (core/runbook/steps/post-together.ts, docs/ARCHITECTURE.md "The
 * path of a runbook step"), and that a kind's `post` does what its `run` does.
 */
import { parseRunbook } from '../../../core/runbook/validate';
import type { RunbookStep } from '../../../core/runbook/types';
import { MAX_POSTS_TOGETHER, postsTogether } from '../../../core/runbook/steps/post-together';
import { STEP_KINDS, kindOf } from '../../../core/runbook/steps/registry';
import { runStep } from '../../support/step-runtime';

/** The steps of a runbook that creates its channel first (its step 0), then `yaml`. */
function stepsOf(yaml: string): RunbookStep[] {
  const create = '  - Operation: Create Channel\n    Name: "incident-[incident.id]"\n';
  const { runbook, problems } = parseRunbook(`name: together\ninputs: [incident.id]\nsteps:\n${create}${yaml}`, 'together.yaml');
  if (!runbook || problems.length) throw new Error(JSON.stringify(problems));
  return runbook.steps;
}
const keys = (steps: RunbookStep[]) => steps.map((s) => s.key);

test('consecutive posts go together, up to a step that is not one post', () => {
  const steps = stepsOf(`
  - Operation: Send Message
    Message: one
  - Operation: Create Thread
    Message: two
  - Operation: Send Message
    Message: three
  - Operation: Pin Message
    Ts: "1700000000.000100"
  - Operation: Send Message
    Message: four
`);
  expect(keys(postsTogether(steps, 0))).toEqual([]);
  expect(keys(postsTogether(steps, 1))).toEqual(['open/2', 'open/3', 'open/4']);
  // A single post is run as any other step.
  expect(keys(postsTogether(steps, 5))).toEqual([]);
});

test('a post that uses an earlier post’s output, or has a When, starts a run of its own', () => {
  const steps = stepsOf(`
  - Operation: Send Message
    Id: notify
    Message: one
  - Operation: Send Message
    Message: two
  - Operation: Send Message
    Thread: "[steps.notify.ts]"
    Message: in the thread
  - Operation: Send Message
    Message: four
  - Operation: Send Message
    Message: "links [steps.notify.channel]"
  - Operation: Send Message
    When: incident.id == "1"
    Message: six
  - Operation: Send Message
    Message: seven
  - Operation: Send Message
    Id: eight
    Message: eight
  - Operation: Send Message
    Message: ":link: block"
    Blocks:
      - Type: section
        Text: "see [steps.eight.ts]"
`);
  expect(keys(postsTogether(steps, 1))).toEqual(['open/notify', 'open/3']);
  // Using the output of a post made before the run is fine.
  expect(keys(postsTogether(steps, 3))).toEqual(['open/4', 'open/5', 'open/6']);
  expect(keys(postsTogether(steps, 6))).toEqual([]);
  expect(keys(postsTogether(steps, 7))).toEqual(['open/8', 'open/eight']);
});

test(`at most ${MAX_POSTS_TOGETHER} posts go together`, () => {
  const steps = stepsOf(Array.from({ length: MAX_POSTS_TOGETHER + 3 }, (_, i) => `  - Operation: Send Message\n    Message: "post ${i}"`).join('\n'));
  expect(postsTogether(steps, 1)).toHaveLength(MAX_POSTS_TOGETHER);
  expect(postsTogether(steps, MAX_POSTS_TOGETHER + 1)).toHaveLength(3);
});

test.each(STEP_KINDS.filter((k) => k.post).map((k) => k.operation))('%s: its post renders what its run posts, and its result is what run returns', async (operation) => {
  const run = await runStep(
    { Operation: operation, Id: 'x', Message: 'Update for *[incident.title]*', ...(operation === 'Create Thread' ? { ThreadUpdates: true } : {}) },
    { incident: { id: '42', title: 'Checkout is down', channel: 'incident-42', channelId: 'C0INCIDENT' } },
  );
  const post = kindOf(run.step).post!;
  const input = post.input(run.step, run.runtime as never);
  expect(run.slack).toEqual([{ call: 'slack.postMessage', input }]);
  expect(post.done(run.step, run.runtime as never, { channel: 'C0INCIDENT', ts: '1700000000.000100' })).toEqual(run.result);
});
