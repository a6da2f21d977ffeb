/**
 * Every step kind, run through a StepRuntime with no server
 * (test/support/step-runtime.ts): what it asks of Slack (and of the
 * workflow: timers, approvals, notes), with which rendered values, and the
 * outputs later steps can use. A kind added to core/runbook/steps/kinds.ts
 * without a test here fails the last test.
 */
import { STEP_KINDS } from '../../../core/runbook/steps/registry';
import type { StepOperation } from '../../../core/runbook/types';
import { ACTIVITIES_CALLED, FAKE_INTEGRATION as integration, FAKE_OPENED_AT, runStep, type FakeRuntimeOptions } from '../../support/step-runtime';

const tested = new Set<StepOperation>();
/** A test of one kind, named by its operation. */
function kindTest(op: StepOperation, title: string, fn: () => Promise<void>): void {
  tested.add(op);
  const operation = STEP_KINDS.find((k) => k.op === op)?.operation ?? op;
  test(`${operation}: ${title}`, fn);
}

/** An incident whose channel exists: `#[incident.channel]` is sent as its ID. */
const withChannel: FakeRuntimeOptions = { incident: { id: '42', title: 'Checkout is down', severity: 'SEV1', service: 'checkout', channel: 'incident-42', channelId: 'C0INCIDENT' } };
const C = 'C0INCIDENT';
const TS = '1700000000.000100';

kindTest('addActionItem', 'hands the workflow the rendered item for the incident channel', async () => {
  const run = await runStep({ Operation: 'Add Action Item', Text: 'Roll back [incident.service]', Owner: '[incident.commander]' }, { incident: { ...withChannel.incident, commander: '@dave' } });
  expect(run.calls).toEqual([{ call: 'addActionItem', input: { channel: C, text: 'Roll back checkout', owner: '@dave' } }]);
  expect(run.result).toEqual({ outputs: { item: '1', channel: C, ts: '1700000000.000200' } });
});

kindTest('addBookmark', 'bookmarks the rendered link', async () => {
  const run = await runStep({ Operation: 'Add Bookmark', Title: '[incident.service] errors', Link: 'https://grafana.example/d/[incident.service]', Emoji: ':bar_chart:' }, withChannel);
  expect(run.calls).toEqual([{ call: 'slack.addBookmark', input: { integration, channel: C, title: 'checkout errors', link: 'https://grafana.example/d/checkout', emoji: ':bar_chart:' } }]);
  expect(run.result).toEqual({ outputs: { channel: C } });
});

kindTest('addUsers', 'invites, makes the invited members of the incident, and notes who could not be invited', async () => {
  const run = await runStep(
    { Operation: 'Add Users', Channel: '#war-room', Users: ['@oncall', '[incident.commander]', '@ghost'] },
    {
      ...withChannel,
      incident: { ...withChannel.incident, commander: 'U0CAROL' },
      answers: { inviteUsers: () => ({ invited: ['U0DAVE'], alreadyMembers: ['U0CAROL'], failed: [{ user: '@ghost', error: 'no user or user group is named @ghost' }] }) },
    },
  );
  expect(run.calls).toEqual([
    { call: 'slack.inviteUsers', input: { integration, channel: '#war-room', users: ['@oncall', 'U0CAROL', '@ghost'] } },
    { call: 'addMembers', input: ['U0DAVE', 'U0CAROL'] },
    { call: 'noteError', input: 'could not invite @ghost (no user or user group is named @ghost)' },
  ]);
  expect(run.result).toEqual({ outputs: { channel: '#war-room' } });
});

kindTest('archiveChannel', 'archives the incident channel by its ID', async () => {
  const run = await runStep({ Operation: 'Archive Channel' }, { ...withChannel, section: 'resolve' });
  expect(run.calls).toEqual([{ call: 'slack.archiveChannel', input: { integration, channel: C } }]);
  expect(run.result).toEqual({ outputs: { channel: C } });
});

kindTest('createChannel', 'creates the channel (purpose escaped), sets it on the incident and invites', async () => {
  const run = await runStep({ Operation: 'Create Channel', Name: 'incident-[incident.id]', Description: '[incident.title]', AddUsers: ['@oncall'], Private: true }, { incident: { id: '42', title: 'Checkout <down> & out' } });
  expect(run.calls).toEqual([
    { call: 'slack.createChannel', input: { integration, name: 'incident-42', isPrivate: true, purpose: 'Checkout &lt;down&gt; &amp; out', ownedSince: Math.floor(FAKE_OPENED_AT / 1000) - 60 } },
    { call: 'slack.inviteUsers', input: { integration, channel: 'C0INCIDENT', users: ['@oncall'] } },
    { call: 'addMembers', input: ['@oncall'] },
  ]);
  expect(run.result).toEqual({ outputs: { channel: 'C0INCIDENT', name: 'incident-42', link: '<#C0INCIDENT>' } });
  expect(run.incident).toMatchObject({ channel: 'incident-42', channelId: 'C0INCIDENT', channelLink: '<#C0INCIDENT>' });
});

kindTest('createChannel', 'the channel is the outcome when the invites fail; a recorded run from before keeps failing', async () => {
  const answers: FakeRuntimeOptions['answers'] = {
    inviteUsers: () => {
      throw new Error('missing_scope');
    },
  };
  const run = await runStep({ Operation: 'Create Channel', Name: 'incident-42', AddUsers: ['@oncall'] }, { answers });
  expect(run.calls.map((c) => c.call)).toEqual(['slack.createChannel', 'slack.inviteUsers', 'patched', 'noteError']);
  expect(run.calls[3].input).toBe('could not invite @oncall: missing_scope');
  expect(run.result.outputs).toEqual({ channel: 'C0INCIDENT', name: 'incident-42', link: '<#C0INCIDENT>' });
  await expect(runStep({ Operation: 'Create Channel', Name: 'incident-42', AddUsers: ['@oncall'] }, { answers, patched: false })).rejects.toThrow('missing_scope');
});

kindTest('createPostmortem', "writes the postmortem as the channel's canvas and posts its link once", async () => {
  const run = await runStep({ Operation: 'Create Postmortem' }, { ...withChannel, section: 'resolve' });
  expect(run.calls).toEqual([
    { call: 'slack.createChannelCanvas', input: { integration, channel: C, title: 'Postmortem: 42', markdown: '# Postmortem: INC-7\n' } },
    {
      call: 'slack.postMessage',
      input: { integration, channel: C, text: ':memo: Postmortem: <https://slack.example/docs/T0/F0CANVAS|Postmortem: 42>', idempotencyKey: '0/resolve/1', metadata: { incident: '42' } },
    },
  ]);
  expect(run.result).toEqual({ outputs: { canvasId: 'F0CANVAS', link: 'https://slack.example/docs/T0/F0CANVAS', ts: TS } });
});

kindTest('createThread', "posts the thread's root and makes it the home of the updates", async () => {
  const run = await runStep({ Operation: 'Create Thread', Id: 'thread', Message: 'Updates for *[incident.title]*', ThreadUpdates: true }, withChannel);
  expect(run.calls).toEqual([
    { call: 'slack.postMessage', input: { integration, channel: C, text: 'Updates for *Checkout is down*', blocks: undefined, idempotencyKey: '0/open/thread', metadata: { incident: '42' } } },
    { call: 'useThreadForUpdates', input: { channel: C, ts: TS } },
  ]);
  expect(run.result).toEqual({ outputs: { channel: C, ts: TS } });
});

kindTest('pinMessage', "pins an earlier step's message", async () => {
  const run = await runStep({ Operation: 'Pin Message', Ts: '[steps.notify.ts]' }, { ...withChannel, steps: { notify: { channel: C, ts: TS } } });
  expect(run.calls).toEqual([{ call: 'slack.pinMessage', input: { integration, channel: C, ts: TS } }]);
  expect(run.result).toEqual({ outputs: { channel: C, ts: TS } });
});

describe('Request Approval', () => {
  const source = { Operation: 'Request Approval', Message: 'Roll back [incident.service]?', ApproverGroups: ['sre'], MinApprovals: 2, Timeout: '30m', OnTimeout: 'approve' };
  const asked = { summary: 'Roll back checkout?', approverGroups: ['sre'], minApprovals: 2, timeoutMs: 30 * 60_000, onTimeout: 'approve', channel: '#incident-42' };

  kindTest('requestApproval', 'asks for the approval in the incident channel and outputs who approved', async () => {
    const approval = { status: 'approved', proceed: true, decisions: [{ verb: 'approve', user: { id: 'U0CAROL' } }, { verb: 'approve', user: { id: 'U0DAVE' } }] };
    const run = await runStep(source, { ...withChannel, approval });
    expect(run.calls).toEqual([{ call: 'requestApproval', input: asked }]);
    expect(run.result).toEqual({ outputs: { status: 'approved', approvedBy: ['U0CAROL', 'U0DAVE'] }, label: 'approval approved', stop: false });
  });

  kindTest('requestApproval', "a rejection stops the section's remaining steps", async () => {
    const run = await runStep(source, { ...withChannel, approval: { status: 'rejected', proceed: false, decisions: [{ verb: 'reject', user: { id: 'U0CAROL' } }] } });
    expect(run.result).toEqual({ outputs: { status: 'rejected', approvedBy: [] }, label: 'approval rejected', stop: true });
  });

  kindTest('requestApproval', 'an approval that could not run shuts the gate, with the reason in the timeline', async () => {
    const run = await runStep({ ...source, OnReject: 'stop' }, { ...withChannel, approval: new Error('approver group sre is not configured') });
    expect(run.calls).toEqual([
      { call: 'requestApproval', input: asked },
      { call: 'noteError', input: 'the approval failed: approver group sre is not configured' },
    ]);
    expect(run.result).toEqual({ outputs: { status: 'failed', approvedBy: [] }, label: 'approval failed', stop: true });
  });
});

kindTest('scheduleMessage', 'has Slack post it After the step, escaped', async () => {
  const now = FAKE_OPENED_AT + 90_000;
  const run = await runStep({ Operation: 'Schedule Message', Message: 'Retro for [incident.title]', After: '2d' }, { ...withChannel, incident: { ...withChannel.incident, title: 'a <b> c' }, now });
  const postAt = Math.floor((now + 2 * 86_400_000) / 1000);
  expect(run.calls).toEqual([{ call: 'slack.scheduleMessage', input: { integration, channel: C, text: 'Retro for a &lt;b&gt; c', postAt, blocks: undefined } }]);
  expect(run.result).toEqual({ outputs: { channel: C, scheduledMessageId: 'Q0SCHEDULED', postAt: String(postAt) } });
});

kindTest('sendMessage', 'posts the message with its blocks in a thread, values escaped, once per step', async () => {
  const run = await runStep(
    { Operation: 'Send Message', Id: 'notify', Message: ':rotating_light: [incident.severity] in *[incident.service]*', Blocks: [{ Type: 'header', Text: '[incident.title]' }, { Type: 'section', Text: 'Title: [incident.title]' }], Thread: '[steps.thread.ts]', Broadcast: true },
    { ...withChannel, incident: { ...withChannel.incident, title: 'Down <!channel>' }, steps: { thread: { channel: C, ts: '1699999999.000001' } } },
  );
  expect(run.calls).toEqual([
    {
      call: 'slack.postMessage',
      input: {
        integration,
        channel: C,
        text: ':rotating_light: SEV1 in *checkout*',
        blocks: [
          { type: 'section', block_id: 'signalroom_headline', text: { type: 'mrkdwn', text: ':rotating_light: SEV1 in *checkout*' } },
          // A header is plain text: Slack shows it as written, so the value goes in as it is.
          { type: 'header', text: { type: 'plain_text', text: 'Down <!channel>', emoji: true } },
          { type: 'section', text: { type: 'mrkdwn', text: 'Title: Down &lt;!channel&gt;' } },
        ],
        threadTs: '1699999999.000001',
        replyBroadcast: true,
        idempotencyKey: '0/open/notify',
        metadata: { incident: '42' },
      },
    },
  ]);
  expect(run.result).toEqual({ outputs: { channel: C, ts: TS } });
});

kindTest('setTopic', "sets the channel's topic, values escaped", async () => {
  const run = await runStep({ Operation: 'Set Topic', Topic: '[incident.severity]: [incident.title]' }, { ...withChannel, incident: { ...withChannel.incident, title: '<@U0EVE> & co' } });
  expect(run.calls).toEqual([{ call: 'slack.setChannelTopic', input: { integration, channel: C, topic: 'SEV1: &lt;@U0EVE&gt; &amp; co' } }]);
  expect(run.result).toEqual({ outputs: { channel: C } });
});

kindTest('updateMessage', "replaces an earlier message's text with the resolution", async () => {
  const run = await runStep({ Operation: 'Update Message', Ts: '[steps.notify.ts]', Message: ':white_check_mark: Resolved: [resolution.summary]' }, { ...withChannel, section: 'resolve', steps: { notify: { channel: C, ts: TS } }, values: { resolution: { summary: 'rolled back' } } });
  expect(run.calls).toEqual([{ call: 'slack.updateMessage', input: { integration, channel: C, ts: TS, text: ':white_check_mark: Resolved: rolled back', blocks: undefined } }]);
  expect(run.result).toEqual({ outputs: { channel: C, ts: TS } });
});

kindTest('uploadFile', 'prepares the upload from the URL, then shares it in the thread', async () => {
  const run = await runStep(
    { Operation: 'Upload File', Url: 'https://grafana.example/render/[incident.service].png', Filename: '[incident.service].png', Title: 'Errors in [incident.service]', Thread: '[steps.thread.ts]' },
    { ...withChannel, steps: { thread: { channel: C, ts: TS } } },
  );
  expect(run.calls).toEqual([
    { call: 'slack.prepareUpload', input: { integration, filename: 'checkout.png', url: 'https://grafana.example/render/checkout.png' } },
    { call: 'slack.shareUpload', input: { integration, fileId: 'F0UPLOAD', channel: C, threadTs: TS, title: 'Errors in checkout' } },
  ]);
  expect(run.result).toEqual({ outputs: { channel: C, fileId: 'F0UPLOAD' } });
});

kindTest('uploadFile', 'uploads Content as the file, titled by its name', async () => {
  const run = await runStep({ Operation: 'Upload File', Content: 'errors in [incident.service]', Filename: 'errors.txt' }, withChannel);
  expect(run.calls).toEqual([
    { call: 'slack.prepareUpload', input: { integration, filename: 'errors.txt', content: 'errors in checkout' } },
    { call: 'slack.shareUpload', input: { integration, fileId: 'F0UPLOAD', channel: C, threadTs: undefined, title: 'errors.txt' } },
  ]);
});

describe('Wait', () => {
  kindTest('wait', 'a Duration is a durable timer', async () => {
    const run = await runStep({ Operation: 'Wait', Duration: '1h30m' });
    expect(run.calls).toEqual([{ call: 'sleep', input: { ms: 90 * 60_000, summary: 'waiting 1h30m' } }]);
    expect(run.result).toEqual({ outputs: { event: 'timeout' } });
  });

  kindTest('wait', 'For an event: outputs the event, or timeout when the Timeout came first', async () => {
    const happened = await runStep({ Operation: 'Wait', For: 'resolved', Timeout: '1h' }, { events: { resolved: true } });
    expect(happened.calls).toEqual([{ call: 'waitForEvent', input: { event: 'resolved', timeoutMs: 3_600_000 } }]);
    expect(happened.result).toEqual({ outputs: { event: 'resolved' } });
    const timedOut = await runStep({ Operation: 'Wait', For: 'update', Timeout: '1h' }, { events: { update: false } });
    expect(timedOut.result).toEqual({ outputs: { event: 'timeout' } });
  });
});

test('every registered step kind has a test in this file', () => {
  expect(STEP_KINDS.filter((k) => !tested.has(k.op)).map((k) => k.operation)).toEqual([]);
});

test('every kind declares just the activities its tests saw it call', () => {
  // The fake refuses an undeclared one (as StepRuntime<A> does for tsc); this finds a declared one no longer used.
  const called = Object.fromEntries(STEP_KINDS.map((k) => [k.operation, [...(ACTIVITIES_CALLED.get(k.operation) ?? [])].sort()]));
  expect(called).toEqual(Object.fromEntries(STEP_KINDS.map((k) => [k.operation, [...k.activities].sort()])));
});
