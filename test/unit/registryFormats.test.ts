import { describe, expect, it } from 'vitest';
import { TokenCache, accessKey, basicAuthorization, parseChallenge, tokenUrl } from '../../src/adapters/registryAuth.js';
import {
  MANIFEST_ACCEPT,
  configDigestOf,
  isIndex,
  manifestMediaType,
  nextLink,
  platformManifestDigest,
  sha256Digest,
} from '../../src/adapters/registryFormats.js';

describe('parseChallenge', () => {
  it.each([
    {
      name: 'bearer with a comma inside the scope',
      header: 'Bearer realm="https://auth.example.org/token",service="registry.example.org",scope="repository:team/api:pull,push"',
      expected: {
        scheme: 'bearer',
        params: { realm: 'https://auth.example.org/token', service: 'registry.example.org', scope: 'repository:team/api:pull,push' },
      },
    },
    { name: 'basic', header: 'Basic realm="Registry Realm"', expected: { scheme: 'basic', params: { realm: 'Registry Realm' } } },
    {
      name: 'unquoted values and spaces',
      header: 'Bearer realm=https://a/t, service=reg',
      expected: { scheme: 'bearer', params: { realm: 'https://a/t', service: 'reg' } },
    },
    { name: 'escaped quote', header: 'Basic realm="a \\"b\\""', expected: { scheme: 'basic', params: { realm: 'a "b"' } } },
    { name: 'missing header', header: undefined, expected: undefined },
    { name: 'empty header', header: '', expected: undefined },
  ])('$name', ({ header, expected }) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('tokenUrl', () => {
  it('adds service and one scope parameter per scope', () => {
    const challenge = {
      scheme: 'bearer',
      params: { realm: 'https://auth.example.org/token?x=1', service: 'reg', scope: 'repository:a:pull repository:b:pull,push' },
    };
    expect(tokenUrl(challenge)).toBe('https://auth.example.org/token?x=1&service=reg&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush');
  });

  it('leaves out what the challenge does not give', () => {
    expect(tokenUrl({ scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token' } })).toBe('http://127.0.0.1:1/token');
  });
});

describe('accessKey', () => {
  it.each([
    ['GET', '/v2/', 'base'],
    ['GET', '/v2/_catalog?n=1000', 'registry:catalog:*'],
    ['GET', '/v2/team/api/tags/list?n=1000', 'repository:team/api:pull'],
    ['HEAD', '/v2/team/api/manifests/prod', 'repository:team/api:pull'],
    ['GET', '/v2/api/blobs/sha256:abc', 'repository:api:pull'],
    ['PUT', '/v2/team/api/manifests/prod', 'repository:team/api:push'],
    ['DELETE', '/v2/team/api/manifests/sha256:abc', 'repository:team/api:delete'],
  ])('%s %s → %s', (method, path, key) => {
    expect(accessKey(method, path)).toBe(key);
  });
});

describe('TokenCache', () => {
  it('forgets a token ten seconds before it expires', () => {
    let now = 1_000_000;
    const cache = new TokenCache(() => now);
    cache.set('repository:a:pull', 'tok', 30);
    expect(cache.get('repository:a:pull')).toBe('tok');
    expect(cache.get('repository:b:pull')).toBeUndefined();
    now += 19_999;
    expect(cache.get('repository:a:pull')).toBe('tok');
    now += 1;
    expect(cache.get('repository:a:pull')).toBeUndefined();
  });
});

it('encodes Basic credentials', () => {
  expect(basicAuthorization('alice', 'pä:ss')).toBe(`Basic ${Buffer.from('alice:pä:ss').toString('base64')}`);
});

describe('manifest formats', () => {
  it('accepts both Docker and OCI manifests and indexes', () => {
    expect(MANIFEST_ACCEPT.split(', ')).toEqual([
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
    ]);
  });

  it('computes digests as registries do', () => {
    // printf 'hello' | sha256sum
    expect(sha256Digest(Buffer.from('hello'))).toBe('sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it.each([
    { contentType: 'application/vnd.docker.distribution.manifest.v2+json', body: {}, expected: 'application/vnd.docker.distribution.manifest.v2+json' },
    { contentType: 'application/vnd.oci.image.index.v1+json; charset=utf-8', body: {}, expected: 'application/vnd.oci.image.index.v1+json' },
    {
      contentType: 'application/json',
      body: { mediaType: 'application/vnd.oci.image.manifest.v1+json' },
      expected: 'application/vnd.oci.image.manifest.v1+json',
    },
    { contentType: undefined, body: { manifests: [] }, expected: 'application/vnd.oci.image.index.v1+json' },
    { contentType: undefined, body: { config: {} }, expected: 'application/vnd.oci.image.manifest.v1+json' },
  ])('media type of $contentType', ({ contentType, body, expected }) => {
    expect(manifestMediaType(contentType, body)).toBe(expected);
  });

  it('tells indexes from manifests', () => {
    expect(isIndex('application/vnd.oci.image.index.v1+json')).toBe(true);
    expect(isIndex('application/vnd.docker.distribution.manifest.list.v2+json')).toBe(true);
    expect(isIndex('application/vnd.docker.distribution.manifest.v2+json')).toBe(false);
  });

  const entry = (digest: string, os: string, architecture: string) => ({ digest, platform: { os, architecture } });
  it.each([
    { name: 'linux/amd64 among several', manifests: [entry('sha256:arm', 'linux', 'arm64'), entry('sha256:amd', 'linux', 'amd64')], expected: 'sha256:amd' },
    {
      name: 'the only platform, attestation ignored',
      manifests: [entry('sha256:arm', 'linux', 'arm64'), entry('sha256:att', 'unknown', 'unknown')],
      expected: 'sha256:arm',
    },
    { name: 'several platforms, no amd64', manifests: [entry('sha256:arm', 'linux', 'arm64'), entry('sha256:s390', 'linux', 's390x')], expected: undefined },
    { name: 'empty index', manifests: [], expected: undefined },
  ])('platform manifest: $name', ({ manifests, expected }) => {
    expect(platformManifestDigest({ manifests })).toBe(expected);
  });

  it('reads the config digest of an image manifest only', () => {
    expect(configDigestOf({ config: { digest: 'sha256:c' } })).toBe('sha256:c');
    expect(configDigestOf({ manifests: [] })).toBeUndefined();
  });

  it.each([
    { link: '</v2/_catalog?last=b&n=2>; rel="next"', expected: '/v2/_catalog?last=b&n=2' },
    { link: '<https://r/v2/x/tags/list?last=t&n=2>; rel=next', expected: 'https://r/v2/x/tags/list?last=t&n=2' },
    { link: '</a>; rel="prev", </b>; rel="next"', expected: '/b' },
    { link: '</a>; rel="prev"', expected: undefined },
    { link: undefined, expected: undefined },
  ])('next link of $link', ({ link, expected }) => {
    expect(nextLink(link)).toBe(expected);
  });
});
