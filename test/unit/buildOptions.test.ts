import { describe, expect, it } from 'vitest';
import { discoverOptions, rebuildOptions } from '../../src/steps/imageOptions.js';
import { becauseClause, builtSentence, plannedBuildSentence, verdictNote } from '../../src/images/imageSentences.js';

describe('discoverOptions', () => {
  it.each([
    {
      name: 'defaults',
      options: { root: '../images' },
      vars: {},
      parsed: { root: '../images', tag: 'prod', force: false, includeUnpublished: false, pinnedBases: 'hold', buildArgs: {} },
    },
    {
      name: 'rollout_tag variable',
      options: { root: 'i' },
      vars: { rollout_tag: 'live' },
      parsed: { root: 'i', tag: 'live', force: false, includeUnpublished: false, pinnedBases: 'hold', buildArgs: {} },
    },
    {
      name: 'everything given',
      options: { root: 'i', tag: 'stable', force: ['a/b'], include_unpublished: true, pinned_bases: 'follow', build_args: { N: 1, B: true, S: 's' } },
      vars: { rollout_tag: 'live' },
      parsed: { root: 'i', tag: 'stable', force: ['a/b'], includeUnpublished: true, pinnedBases: 'follow', buildArgs: { N: '1', B: 'true', S: 's' } },
    },
    {
      name: 'max_age in days, probe on with defaults (host network, index refreshed)',
      options: { root: 'i', max_age: '30d', probe: true },
      vars: {},
      parsed: {
        root: 'i',
        tag: 'prod',
        force: false,
        includeUnpublished: false,
        pinnedBases: 'hold',
        buildArgs: {},
        maxAgeMs: 30 * 86_400_000,
        probe: { network: 'host', timeoutMs: 120_000, refresh: true, commands: {}, byLabel: {} },
      },
    },
    {
      name: 'probe without network: no refresh unless asked; one custom command for every image',
      options: { root: 'i', max_age: '1w2d', probe: { network: 'none', timeout: '30s', command: 'cat /outdated' } },
      vars: {},
      parsed: {
        root: 'i',
        tag: 'prod',
        force: false,
        includeUnpublished: false,
        pinnedBases: 'hold',
        buildArgs: {},
        maxAgeMs: 9 * 86_400_000,
        probe: { network: 'none', timeoutMs: 30_000, refresh: false, commands: { '*': 'cat /outdated' }, byLabel: {} },
      },
    },
    {
      name: 'probe: false is off',
      options: { root: 'i', probe: false },
      vars: {},
      parsed: { root: 'i', tag: 'prod', force: false, includeUnpublished: false, pinnedBases: 'hold', buildArgs: {} },
    },
    {
      name: 'probe commands per repository, and probes an image label may pick',
      options: { root: 'i', probe: { update: false, command: { 'team/api': 'x' }, by_label: { pip: 'pip list --outdated' } } },
      vars: {},
      parsed: {
        root: 'i',
        tag: 'prod',
        force: false,
        includeUnpublished: false,
        pinnedBases: 'hold',
        buildArgs: {},
        probe: { network: 'host', timeoutMs: 120_000, refresh: false, commands: { 'team/api': 'x' }, byLabel: { pip: 'pip list --outdated' } },
      },
    },
  ])('$name', ({ options, vars, parsed }) => {
    expect(discoverOptions(options, vars)).toEqual(parsed);
  });

  it.each([
    { options: {}, error: 'discover needs a "root" directory' },
    { options: { root: 'i', force: 'yes' }, error: 'discover "force" must be true, false or a list of repositories' },
    { options: { root: 'i', build_args: ['A=1'] }, error: 'discover "build_args" must be a map' },
    { options: { root: 'i', pinned_bases: 'ignore' }, error: 'discover "pinned_bases" must be hold or follow, not "ignore"' },
    {
      options: { root: 'i', max_age: 'a month' },
      error: '"max_age" is not a duration: "a month"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)',
    },
    { options: { root: 'i', probe: { network: 'bridge' } }, error: 'discover "probe.network" must be "host" or "none"' },
    { options: { root: 'i', probe: { command: ['x'] } }, error: 'discover "probe.command" must be a script or a map of repository to script' },
  ])('rejects $options', ({ options, error }) => {
    expect(() => discoverOptions(options, {})).toThrow(error);
  });
});

describe('rebuildOptions', () => {
  it.each([
    { options: {}, parsed: { noCache: true, pull: true, dateFormat: 'YYYYMMDD-HHmm', buildArgs: {}, timeoutMs: 1_800_000, skipIdentical: true } },
    {
      options: { no_cache: false, pull: false, date_format: 'YYYYMMDDHHmmss', build_args: { A: 'x' }, timeout: '90s', skip_identical: false },
      parsed: { noCache: false, pull: false, dateFormat: 'YYYYMMDDHHmmss', buildArgs: { A: 'x' }, timeoutMs: 90_000, skipIdentical: false },
    },
    { options: { timeout: 120 }, parsed: { noCache: true, pull: true, dateFormat: 'YYYYMMDD-HHmm', buildArgs: {}, timeoutMs: 120_000, skipIdentical: true } },
  ])('$options', ({ options, parsed }) => {
    expect(rebuildOptions(options)).toEqual(parsed);
  });

  it.each([
    { options: { date_format: 'YYYY/MM' }, error: 'date_format "YYYY/MM" does not give a valid image tag' },
    { options: { timeout: 'soon' }, error: '"timeout" is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)' },
    { options: { timeout: 0 }, error: '"timeout" must be above zero, not 0' },
    { options: { timeout: '30d' }, error: '"timeout" is "30d", longer than the 24 days freshen can wait; use a shorter one' },
  ])('rejects $options', ({ options, error }) => {
    expect(() => rebuildOptions(options)).toThrow(error);
  });
});

describe('sentences', () => {
  const BASE = '127.0.0.1:5055/lab/base:prod';
  const web = {
    repository: 'lab/web',
    ref: '127.0.0.1:5055/lab/web:prod',
    bases: [BASE],
    stale: true,
    reasons: ['base-rebuilt' as const, 'context-changed' as const],
    explanations: [`base ${BASE} is stale and is rebuilt first`, 'build context changed: built from aaaaaaaaaaaa…, now bbbbbbbbbbbb…'],
  };

  it('verdict notes', () => {
    expect(verdictNote({ ...web, stale: false, reasons: [], explanations: [] })).toBe('lab/web: fresh');
    expect(verdictNote(web)).toBe(
      `lab/web: stale (base-rebuilt, context-changed): base ${BASE} is stale and is rebuilt first; build context changed: built from aaaaaaaaaaaa…, now bbbbbbbbbbbb…`,
    );
  });

  it('because clauses before and after the base was rebuilt', () => {
    expect(becauseClause(web)).toBe(`base ${BASE} is stale and is rebuilt first; build context changed: built from aaaaaaaaaaaa…, now bbbbbbbbbbbb…`);
    expect(becauseClause(web, new Set([BASE]))).toBe(`base ${BASE} was rebuilt; build context changed: built from aaaaaaaaaaaa…, now bbbbbbbbbbbb…`);
  });

  it('check-mode and applied sentences', () => {
    const only = { ...web, reasons: ['base-rebuilt' as const], explanations: [web.explanations[0]!] };
    expect(plannedBuildSentence(only, '127.0.0.1:5055/lab/web:20261128-0301')).toBe(
      `Build 127.0.0.1:5055/lab/web:prod and 127.0.0.1:5055/lab/web:20261128-0301 because base ${BASE} is stale and is rebuilt first`,
    );
    expect(builtSentence(only, `sha256:${'ab'.repeat(32)}`, '127.0.0.1:5055/lab/web:20261128-0301', new Set([BASE]))).toBe(
      `Built 127.0.0.1:5055/lab/web:prod (sha256:abababababab…, also :20261128-0301) because base ${BASE} was rebuilt`,
    );
  });
});
