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
