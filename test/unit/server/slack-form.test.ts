import fc from 'fast-check';
import { formFields, readSlackForm } from '../../../src/server/slack-request';

/** Every name a body holds, as URLSearchParams sees it, and a few it does not. */
const namesOf = (body: string) => [...new Set([...new URLSearchParams(body).keys(), 'payload', 'ssl_check', 'team_id', '', ' ', 'a b'])];

function expectAsUrlSearchParams(body: string) {
  const expected = new URLSearchParams(body);
  const fields = formFields(body);
  for (const name of namesOf(body)) expect([name, fields.get(name)]).toEqual([name, expected.get(name)]);
}

describe('a Slack form body reads as URLSearchParams reads it', () => {
  test.each([
    ['an interaction', `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U1', name: 'zoë 🚀' }, text: 'a+b & c=d %' }))}`],
    ['a slash command', 'token=x&team_id=T0&user_id=U1&command=%2Fsignalroom&text=open+INC-42+%E2%80%94+db+down&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1'],
    ['the reachability probe', 'ssl_check=1&token=x'],
    ['repeated names: the first wins', 'a=1&a=2&payload=first&payload=second'],
    ['empty pieces, names without values, a leading ?', '?a=1&&a=2&b&=c&d=&&e==f&'],
    ['a stray %', 'payload=%7B%zz%7D&a=%'],
    ['percent-encoded bytes that are not UTF-8', 'payload=%FF%FE&b=%C3%28&c=%ED%A0%80'],
    ['raw non-ASCII and plus signs', 'name=café+crème&x=%2B+%20'],
    ['nothing', ''],
  ])('%s', (_what, body) => expectAsUrlSearchParams(body));

  test('any body', () => {
    const piece = fc.constantFrom('a', 'b', 'payload', '=', '&', '%', '+', '2', '0', 'B', 'F', 'f', 'E', '9', 'C3', '%20', '%2', '%zz', '%E2%80%94', '%FF', 'é', '🚀', '?', ' ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => expectAsUrlSearchParams(pieces.join(''))),
      { numRuns: 500 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (body) => expectAsUrlSearchParams(body)), { numRuns: 500 });
  });

  test("the payload is parsed once, and a payload that is not JSON says why", () => {
    expect(readSlackForm(`payload=${encodeURIComponent('{"type":"block_actions"}')}`).payload).toEqual({ value: { type: 'block_actions' } });
    expect(readSlackForm('payload=%7Bnot').payload).toEqual({ error: expect.any(String) });
    expect(readSlackForm('command=%2Fsignalroom').payload).toBeUndefined();
  });
});
