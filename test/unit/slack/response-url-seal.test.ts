import { openResponseUrl, ResponseUrlRefused, sealResponseUrl } from '../../../src/slack/response-url';

const URL_ = 'https://hooks.slack.com/actions/T0SANDBOX/1234/abcdef';
const SECRET = 'signing-secret-of-the-organization-app';
const secretOf = (integration: string) => (integration === 'organization' ? SECRET : undefined);

/** The nonce of a sealed value: its first 12 bytes. */
const nonceOf = (sealed: string) => Buffer.from(sealed.split(':').pop()!, 'base64url').subarray(0, 12).toString('hex');

describe("a click's sealed response_url", () => {
  test('opens again with the secret of the app that sealed it, and with no other', () => {
    const sealed = sealResponseUrl(URL_, 'organization', SECRET);
    expect(sealed).toMatch(/^sealed:v1:organization:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('hooks.slack.com');
    expect(openResponseUrl(sealed, secretOf)).toBe(URL_);
    expect(() => openResponseUrl(sealed, () => 'another-apps-secret')).toThrow(ResponseUrlRefused);
  });

  test('never uses a nonce twice, across many clicks (more than one pool of nonces)', () => {
    const nonces = new Set<string>();
    const count = 10_000;
    for (let i = 0; i < count; i++) nonces.add(nonceOf(sealResponseUrl(URL_, 'organization', SECRET)));
    expect(nonces.size).toBe(count);
  });

  test('a nonce is not kept with the value: later seals do not change an earlier one', () => {
    const first = sealResponseUrl(URL_, 'organization', SECRET);
    for (let i = 0; i < 5_000; i++) sealResponseUrl(`${URL_}/${i}`, 'organization', SECRET);
    expect(openResponseUrl(first, secretOf)).toBe(URL_);
  });
});
