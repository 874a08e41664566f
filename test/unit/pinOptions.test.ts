import { describe, expect, it } from 'vitest';
import { buildChanges } from '../../src/images/buildChanges.js';
import { encodePackageList, LABEL_PACKAGE_LIST } from '../../src/images/packages.js';
import { LABEL_BASES, LABEL_CONTEXT } from '../../src/images/provenance.js';
import { OptionError } from '../../src/steps/optionError.js';
import { parsePinOptions } from '../../src/steps/pin/pinOptions.js';

describe("pin's options", () => {
  it('apply defaults, with the repository found from the playbook', () => {
    expect(parsePinOptions({ files: ['./deploy/', 'compose.yaml'] }, '/infra/playbooks')).toEqual({
      repository: '/infra/playbooks',
      files: ['deploy', 'compose.yaml'],
      helmValues: {},
      remote: 'origin',
      branch: 'freshen/pins',
      author: { name: 'freshen', email: 'freshen@localhost' },
      allowDirty: false,
    });
  });

  it('take Helm values files alone', () => {
    expect(parsePinOptions({ helm_values: { './charts/api/values.yaml': ['image', 'worker.image'] } }, '/infra')).toMatchObject({
      files: [],
      helmValues: { 'charts/api/values.yaml': ['image', 'worker.image'] },
    });
  });

  it.each([
    [{}, ['files'], 'pin: files must list the files and directories to pin (relative to the repository), unless helm_values names some'],
    [
      { helm_values: { 'values.yaml': [] } },
      ['helm_values'],
      'pin: helm_values must map each values file to the dotted paths of its image maps, for example { charts/api/values.yaml: [image] }',
    ],
    [
      { helm_values: { 'values.yaml': ['image..x'] } },
      ['helm_values'],
      'pin: helm_values must map each values file to the dotted paths of its image maps, for example { charts/api/values.yaml: [image] }',
    ],
    [
      { helm_values: { '../values.yaml': ['image'] } },
      ['helm_values', '../values.yaml'],
      'pin: ../values.yaml is not a path inside the repository (relative to its top level, without ..)',
    ],
    [{ files: ['../elsewhere'] }, ['files', 0], 'pin: ../elsewhere is not a path inside the repository (relative to its top level, without ..)'],
    [{ files: ['/etc/passwd'] }, ['files', 0], 'pin: /etc/passwd is not a path inside the repository (relative to its top level, without ..)'],
    [{ files: ['a'], branch: 'feature..x' }, ['branch'], 'pin: branch "feature..x" is not a branch name git takes'],
    [{ files: ['a'], branch: '-f' }, ['branch'], 'pin: branch "-f" is not a branch name git takes'],
    [{ files: ['a'], remote: 'https://example.invalid/x.git' }, ['remote'], 'pin: remote must name a configured remote (git remote -v lists them)'],
    [{ files: ['a'], author: { name: 'x' } }, ['author'], 'pin: author must be { name: …, email: … }'],
  ])('refuse %j at its place', (raw, path, message) => {
    const error = (() => {
      try {
        parsePinOptions(raw as Record<string, unknown>, '/infra');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ path, message });
  });
});

describe('what changed between two builds', () => {
  const labels = (base: string, context: string, packages: string[]) => ({
    [LABEL_BASES]: JSON.stringify({ 'debian:12': base }),
    [LABEL_CONTEXT]: context,
    [LABEL_PACKAGE_LIST]: encodePackageList(packages),
  });
  const A = `sha256:${'a'.repeat(64)}`;
  const B = `sha256:${'b'.repeat(64)}`;

  it('names the base, the context and the packages that differ, from the labels both builds carry', () => {
    const before = labels(A, A, ['openssl:amd64 3.0.13', 'zlib1g:amd64 1.2']);
    const after = labels(B, B, ['openssl:amd64 3.0.15', 'zlib1g:amd64 1.2', 'curl:amd64 8.0']);
    expect(buildChanges(before, after)).toEqual({
      reasons: [`base debian:12: ${'a'.repeat(12)}… → ${'b'.repeat(12)}…`, `build context ${'a'.repeat(12)}… → ${'b'.repeat(12)}…`, '2 packages changed'],
      packages: ['openssl 3.0.13 → 3.0.15', 'added curl 8.0'],
    });
  });

  it('says nothing it cannot read: builds without labels, or an unreadable package list', () => {
    expect(buildChanges(undefined, labels(B, B, []))).toEqual({ reasons: [], packages: [] });
    expect(buildChanges({ [LABEL_PACKAGE_LIST]: 'not gzip' }, labels(B, B, ['a:amd64 1']))).toEqual({ reasons: [], packages: [] });
  });
});
