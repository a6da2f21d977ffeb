import { channelMatches, channelNameProblem, normalizeChannelName } from '../../../core/slack/channel-names';

describe("Slack's channel-name rules", () => {
  test('names are normalized as Slack does: lower-case, spaces to hyphens, no leading #', () => {
    expect(normalizeChannelName('#Incident-INC 42')).toBe('incident-inc-42');
  });
  test.each([
    ['incident-42', undefined],
    ['', 'empty'],
    ['a'.repeat(81), 'at most 80'],
    ['incident.42', 'characters Slack refuses'],
    ['---', 'only punctuation'],
  ])('%s', (name, problem) => {
    const found = channelNameProblem(name);
    if (problem) expect(found).toContain(problem);
    else expect(found).toBeUndefined();
  });
  test('a naming convention is enforced', () => {
    expect(channelNameProblem('deploys', '^inc-')).toContain("naming convention /^inc-/");
    expect(channelNameProblem('inc-1', '^inc-')).toBeUndefined();
  });
  test('permission patterns', () => {
    expect(channelMatches('inc-payments-*', 'inc-payments-42')).toBe(true);
    expect(channelMatches('inc-payments-*', 'inc-web-42')).toBe(false);
    expect(channelMatches('*', 'anything')).toBe(true);
    expect(channelMatches('deploys', 'deploys-2')).toBe(false);
  });
});
