import { parsedResponseUrlProblem, responseUrlProblem } from '../../../src/slack/response-url';

const SANDBOX = 'http://127.0.0.1:9000/actions/';

describe("where a click's response_url may point", () => {
  test.each([
    ['https://hooks.slack.com/actions/T0SANDBOX/1234/abcdef', []],
    ['https://hooks.slack-gov.com/actions/T0SANDBOX/1234/abcdef', []],
    ['HTTPS://HOOKS.SLACK.COM/actions/T0SANDBOX/1234/abcdef', []],
    ['https://hooks.slack.com/actions/T0/../1234/abc', []],
    [`${SANDBOX}T0SANDBOX/1234/abcdef`, [SANDBOX]],
  ])('%s is accepted', (url, bases) => {
    expect(responseUrlProblem(url, bases)).toBeUndefined();
  });

  test.each([
    ['https://hooks.slack.com.evil.example/actions/T0/1/a', [], /must point at Slack/],
    ['https://hooks.slack.com@evil.example/actions/T0/1/a', [], /credentials/],
    ['https://user:pass@hooks.slack.com/actions/T0/1/a', [], /credentials/],
    ['https://evil.example/actions/T0/1/a', [], /must point at Slack/],
    [`${SANDBOX}T0/1/a`, [], /must point at Slack/],
    // Under the sandbox's base as written, elsewhere once the parser has read the dots, percent-dots or backslashes.
    [`${SANDBOX}..`, [SANDBOX], /must point at Slack/],
    [`${SANDBOX}%2e%2e/admin`, [SANDBOX], /must point at Slack/],
    [`${SANDBOX}%2E%2E/admin`, [SANDBOX], /must point at Slack/],
    [`${SANDBOX}x\\..\\..\\admin`, [SANDBOX], /must point at Slack/],
    ['not a url', [], /not a URL/],
  ])('%s is refused', (url, bases, why) => {
    expect(responseUrlProblem(url, bases)).toMatch(why);
  });

  test('a base not written as the parser writes it gets no short cut', () => {
    // Parsed, http://localhost:9/actions/x does not start with the base as configured: refused, as it always was.
    expect(responseUrlProblem('HTTP://LOCALHOST:9/actions/x', ['HTTP://LOCALHOST:9/actions/'])).toMatch(/must point at Slack/);
    expect(responseUrlProblem('http://u:p@localhost:9/actions/x', ['http://u:p@localhost:9/actions/'])).toMatch(/credentials/);
  });

  test('the short cut answers as the URL parser does, for thousands of URLs built from tricky pieces', () => {
    const pieces = ['a', 'Z', '0', '-', '_', '/', '.', '..', '%2e', '%2F', '%', '\\', '@', ':', '?', '#', ' ', '\t', '\n', '~', 'é', '//', '%00'];
    const starts = ['https://hooks.slack.com/', 'https://hooks.slack.com', 'https://hooks.slack-gov.com/actions/', SANDBOX, 'http://127.0.0.1:9000/', 'http://127.0.0.1:90/actions/'];
    // mulberry32: a small seeded generator, so a failure names a URL that fails again.
    let seed = 26;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let url = starts[random(starts.length)];
      for (let k = random(6); k >= 0; k--) url += pieces[random(pieces.length)];
      const bases = random(2) ? [SANDBOX] : [];
      const expected = parsedResponseUrlProblem(url, bases);
      expect([url, responseUrlProblem(url, bases)]).toEqual([url, expected]);
      if (expected === undefined) accepted += 1;
    }
    // Both answers occur, so the comparison covers the short cut and the refusals.
    expect(accepted).toBeGreaterThan(1_000);
    expect(accepted).toBeLessThan(19_000);
  });
});
