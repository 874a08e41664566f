import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatImageRef, parseImageRef, repoDigestOf } from '../../src/model/imageRef.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

describe('image references', () => {
  it('parses as the Docker CLI does: Docker Hub by default, a first component with . or : or localhost is a registry', () => {
    expect(parseImageRef('debian:12')).toEqual({ registry: 'docker.io', repository: 'library/debian', tag: '12', digest: undefined });
    expect(parseImageRef('127.0.0.1:5055/vendor/debian')).toEqual({
      registry: '127.0.0.1:5055',
      repository: 'vendor/debian',
      tag: 'latest',
      digest: undefined,
    });
    expect(parseImageRef(`localhost/app@${D1}`)).toEqual({ registry: 'localhost', repository: 'app', tag: undefined, digest: D1 });
    expect(parseImageRef('team/app:prod')).toMatchObject({ registry: 'docker.io', repository: 'team/app' });
  });

  it('formats back what it parsed', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    fc.assert(
      fc.property(fc.constantFrom('', 'reg.example:5000/', 'localhost/'), fc.array(segment, { minLength: 1, maxLength: 3 }), segment, (registry, path, tag) => {
        const ref = `${registry}${path.join('/')}:${tag}`;
        expect(parseImageRef(formatImageRef(parseImageRef(ref)))).toEqual(parseImageRef(ref));
      }),
    );
  });

  it("finds the repository's manifest digest among an engine's repo digests, in Docker Hub's short form too", () => {
    const digests = [`127.0.0.1:5055/other@${D2}`, `127.0.0.1:5055/vendor/debian@${D1}`];
    expect(repoDigestOf(digests, '127.0.0.1:5055/vendor/debian:prod')).toBe(D1);
    expect(repoDigestOf(digests, '127.0.0.1:5055/vendor:prod')).toBeUndefined();
    expect(repoDigestOf([`debian@${D2}`], 'debian:12')).toBe(D2);
    expect(repoDigestOf([`docker.io/library/debian@${D2}`], 'debian:12')).toBe(D2);
    expect(repoDigestOf(undefined, 'debian:12')).toBeUndefined();
  });
});
