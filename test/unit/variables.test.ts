import { describe, expect, it } from 'vitest';
import { resolveVariables } from '../../src/model/variables.js';

describe('resolveVariables', () => {
  it.each([
    { name: 'host alone', host: { registry: 'a' }, play: {}, extra: {}, expected: { registry: 'a' } },
    { name: 'play over host', host: { registry: 'a', keep: 1 }, play: { registry: 'b' }, extra: {}, expected: { registry: 'b', keep: 1 } },
    { name: '-e over play', host: { registry: 'a' }, play: { registry: 'b' }, extra: { registry: 'c' }, expected: { registry: 'c' } },
    {
      name: 'maps replace, not merge',
      host: { registry_auth: { username: 'u', password: 'p' } },
      play: { registry_auth: { username: 'v' } },
      extra: {},
      expected: { registry_auth: { username: 'v' } },
    },
    { name: 'no host', host: undefined, play: { a: 1 }, extra: { b: 2 }, expected: { a: 1, b: 2 } },
  ])('$name', ({ host, play, extra, expected }) => {
    expect(resolveVariables(host === undefined ? undefined : { vars: host }, play, extra)).toEqual(expected);
  });
});
