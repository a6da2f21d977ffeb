import { mrkdwnToPlain } from '../../../core/slack/mrkdwn';

describe('Slack mrkdwn as a terminal shows it (the CLI prints card notes and refusals this way)', () => {
  test('mentions by name where known, else by id; groups, channels, links and dates as text; entities unescaped', () => {
    const names = new Map([['U0CAROL', 'carol']]);
    const text = 'Cancelled by <@U0CAROL> for <@U0ERIN> and <!subteam^S0REL|@release>: see <#C0DEPLOYS> and <https://ci.example.com/7?a=1&amp;b=2|the run>, by <!date^1767225600^{date}|2026-01-01> — a &lt;b&gt; &amp; c';
    expect(mrkdwnToPlain(text, (id) => names.get(id))).toBe('Cancelled by @carol for @U0ERIN and @release: see #C0DEPLOYS and the run (https://ci.example.com/7?a=1&b=2), by 2026-01-01 — a <b> & c');
  });
  test('text without markup is unchanged', () => {
    expect(mrkdwnToPlain('Your approval is recorded (1 of 2).')).toBe('Your approval is recorded (1 of 2).');
  });
});
