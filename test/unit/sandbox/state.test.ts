/** The sandbox's own bookkeeping: a channel's messages stay in Slack's order (by ts) however they arrive. */
import { SandboxClock } from '../../../src/sandbox/clock';
import { SandboxState } from '../../../src/sandbox/state';

test('messages are kept ordered by ts: new ones appended, an older ts inserted in its place', () => {
  const state = new SandboxState(new SandboxClock());
  const team = state.addTeam({ name: 'Test' });
  const channel = state.addChannel(team.id, { name: 'ordering' });
  const post = (ts?: string) => state.addMessage(channel, { user: team.botUserId, text: ts ?? 'now', ts, via: 'api' }).ts;

  post('1700000003.000000');
  post('1700000001.000000');
  post('1700000002.000500');
  post('1700000002.000050');
  const latest = post(); // the clock's now: after all of them
  post('1700000001.000000'); // an equal ts goes after the one already there

  expect(channel.messages.map((m) => m.ts)).toEqual(['1700000001.000000', '1700000001.000000', '1700000002.000050', '1700000002.000500', '1700000003.000000', latest]);
});

test('a message is found by its exact ts wherever it sits; a deleted one, a ts written differently, or an unknown ts finds nothing', () => {
  const state = new SandboxState(new SandboxClock());
  const team = state.addTeam({ name: 'Test' });
  const channel = state.addChannel(team.id, { name: 'lookup' });
  const post = (ts?: string) => state.addMessage(channel, { user: team.botUserId, text: ts ?? 'now', ts, via: 'api' });

  const many = Array.from({ length: 500 }, () => post());
  const scheduled = post('1700000001.000100');
  const gone = post('1700000001.000200');
  gone.deleted = true;

  for (const m of [...many, scheduled]) expect(state.findMessage(channel, m.ts)).toBe(m);
  expect(state.findMessage(channel, gone.ts)).toBeUndefined();
  expect(state.findMessage(channel, '1700000001.0001')).toBeUndefined(); // the same instant, but not the ts Slack gave
  expect(state.findMessage(channel, '1600000000.000000')).toBeUndefined();
  expect(state.findMessage(channel, 'not-a-ts')).toBeUndefined();
});
