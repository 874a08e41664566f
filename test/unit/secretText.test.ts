import { describe, expect, it } from 'vitest';
import { SCRUBBED, SecretSet } from '../../src/shared/secretText.js';

describe('SecretSet', () => {
  it.each([
    {
      name: 'a password key',
      data: { registry_auth: { username: 'ci', password: 'p4ssw0rd!' } },
      text: 'auth p4ssw0rd! and Y2k6cDRzc3cwcmQh',
      out: `auth ${SCRUBBED} and ${SCRUBBED}`,
    },
    { name: 'a numeric password', data: { password: 8675309123 }, text: 'quote it: password: "8675309123"', out: `quote it: password: "${SCRUBBED}"` },
    {
      name: 'a URL userinfo',
      data: { registry_url: 'https://u:url-secret@r:5000' },
      text: 'GET https://u:url-secret@r:5000/v2/',
      out: `GET https://u:${SCRUBBED}@r:5000/v2/`,
    },
    {
      name: 'tokens and secrets by key',
      data: { api_token: 'tok-123456', client_secret: 'cs-abcdef' },
      text: 'tok-123456 cs-abcdef',
      out: `${SCRUBBED} ${SCRUBBED}`,
    },
    { name: 'too short to be worth scrubbing', data: { password: 'abc' }, text: 'abc', out: 'abc' },
    { name: 'a value under an ordinary key', data: { rollout_tag: 'production' }, text: 'production', out: 'production' },
    { name: 'regex characters in a secret', data: { password: 'a.b*c(d)' }, text: 'x a.b*c(d) aXbbc(d)', out: `x ${SCRUBBED} aXbbc(d)` },
  ])('$name', ({ data, text, out }) => {
    const secrets = new SecretSet();
    secrets.addFrom(data);
    expect(secrets.redact(text)).toBe(out);
  });

  it('scrubs a secret that contains another one whole', () => {
    const secrets = new SecretSet();
    secrets.add('secret');
    secrets.add('secret-and-more');
    expect(secrets.redact('secret-and-more')).toBe(SCRUBBED);
  });

  it('forgets every secret when cleared, and scrubs what is added after', () => {
    const secrets = new SecretSet();
    secrets.add('first-secret');
    expect(secrets.redact('first-secret')).toBe(SCRUBBED);
    secrets.clear();
    expect(secrets.redact('first-secret')).toBe('first-secret');
    secrets.add('second-secret');
    expect(secrets.redact('first-secret second-secret')).toBe(`first-secret ${SCRUBBED}`);
  });

  it('redacts every string of a nested value, leaving others as they are', () => {
    const secrets = new SecretSet();
    secrets.add('hidden-value');
    expect(secrets.redactDeep({ a: ['x hidden-value', 3], b: { c: 'hidden-value' }, d: null })).toEqual({
      a: [`x ${SCRUBBED}`, 3],
      b: { c: SCRUBBED },
      d: null,
    });
  });
});
