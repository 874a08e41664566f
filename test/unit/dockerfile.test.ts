import { describe, expect, it } from 'vitest';
import { followPinnedBases, parseDockerfile } from '../../src/images/dockerfile.js';
import { splitWords, substituteWord } from '../../src/images/substitute.js';

const lines = (...l: string[]) => l.join('\n');

describe('parseDockerfile: bases', () => {
  it.each([
    { name: 'one FROM', text: 'FROM alpine:3.20\nRUN true', bases: ['alpine:3.20'], finalBase: 'alpine:3.20' },
    { name: 'lowercase keyword', text: 'from alpine:3.20', bases: ['alpine:3.20'], finalBase: 'alpine:3.20' },
    { name: 'scratch is no base', text: 'FROM scratch\nCOPY x /x', bases: [], finalBase: 'scratch' },
    { name: 'SCRATCH in capitals', text: 'FROM SCRATCH', bases: [], finalBase: 'scratch' },
    {
      name: 'platform flag and AS name',
      text: 'FROM --platform=linux/amd64 reg:5000/os:stable AS build\nFROM build',
      bases: ['reg:5000/os:stable'],
      finalBase: 'reg:5000/os:stable',
    },
    {
      name: 'stage references are not bases; AS is case-insensitive and names lowercased',
      text: lines('FROM golang:1.22 as Builder', 'RUN make', 'FROM alpine:3 AS run', 'COPY --from=builder /app /app', 'FROM BUILDER'),
      bases: ['alpine:3', 'golang:1.22'],
      finalBase: 'golang:1.22',
    },
    {
      name: 'multi-stage: the final stage base comes last',
      text: lines('FROM a:1 AS x', 'FROM b:1', 'COPY --from=x /a /a'),
      bases: ['a:1', 'b:1'],
      finalBase: 'b:1',
    },
    {
      name: 'a base used twice keeps its last position',
      text: lines('FROM a:1 AS x', 'FROM b:1 AS y', 'FROM a:1'),
      bases: ['b:1', 'a:1'],
      finalBase: 'a:1',
    },
    {
      name: 'COPY --from an image is a base, before its stage FROM',
      text: lines('FROM scratch', 'COPY --from=reg:5000/tools:1 --chown=0:0 /bin/x /x', 'FROM alpine:3', 'COPY --from=0 /x /x'),
      bases: ['reg:5000/tools:1', 'alpine:3'],
      finalBase: 'alpine:3',
    },
    {
      name: 'comments, blank lines and continuations',
      text: lines('# syntax comment', '', 'FROM \\', '  # a comment inside', '', '    alpine:3 \\', '  AS base', 'RUN echo \\', 'FROM nope'),
      bases: ['alpine:3'],
      finalBase: 'alpine:3',
    },
    {
      name: 'escape directive with backtick',
      text: lines('# escape=`', 'FROM `', '  mcr.example.org/windows:ltsc', 'RUN dir c:\\'),
      bases: ['mcr.example.org/windows:ltsc'],
      finalBase: 'mcr.example.org/windows:ltsc',
    },
    {
      name: 'CRLF line endings',
      text: 'FROM alpine:3\r\nRUN true\r\n',
      bases: ['alpine:3'],
      finalBase: 'alpine:3',
    },
  ])('$name', ({ text, bases, finalBase }) => {
    const parsed = parseDockerfile(text);
    expect(parsed).toMatchObject({ ok: true, value: { bases, finalBase } });
  });

  it('records every stage with its line, kind, name and platform', () => {
    const parsed = parseDockerfile(lines('ARG P=linux/arm64', 'FROM --platform=$P alpine:3 AS one', '', 'FROM one', 'FROM scratch'));
    expect(parsed).toEqual({
      ok: true,
      value: {
        stages: [
          { from: 'alpine:3', kind: 'image', name: 'one', platform: 'linux/arm64', line: 2 },
          { from: 'one', kind: 'stage', line: 4 },
          { from: 'scratch', kind: 'scratch', line: 5 },
        ],
        bases: ['alpine:3'],
        finalBase: 'scratch',
      },
    });
  });
});

describe('parseDockerfile: ARG before FROM', () => {
  it('does not let FROM see an ARG declared after the first FROM', () => {
    const parsed = parseDockerfile(lines('FROM a:1', 'ARG LATE=x', 'FROM $LATE'), { LATE: 'y' });
    expect(parsed).toEqual({ ok: false, error: 'line 3: FROM $LATE names no image after substitution' });
  });

  it.each([
    { name: 'defaults', args: {}, base: '127.0.0.1:5055/os:stable' },
    { name: 'override a default', args: { REGISTRY: 'reg.example.org' }, base: 'reg.example.org/os:stable' },
    { name: 'an ARG without default', args: { TAG: 'testing' }, base: '127.0.0.1:5055/os:testing' },
    { name: 'an undeclared build arg is not visible', args: { OTHER: 'x', TAG: '' }, base: '127.0.0.1:5055/os:stable' },
  ])('resolves FROM with $name', ({ args, base }) => {
    const parsed = parseDockerfile(
      lines('ARG REGISTRY=127.0.0.1:5055', 'ARG TAG', 'ARG FULL=${REGISTRY}/os', 'FROM ${FULL}:${TAG:-stable}'),
      args as Record<string, string>,
    );
    expect(parsed).toMatchObject({ ok: true, value: { bases: [base] } });
  });

  it('reads several ARGs on one line, quoted values included', () => {
    const parsed = parseDockerfile(lines('ARG A="reg:5000" B=os\\ x', 'FROM "$A/${B}"'));
    expect(parsed).toMatchObject({ ok: true, value: { bases: ['reg:5000/os x'] } });
  });
});

describe('parseDockerfile: errors', () => {
  it.each([
    { name: 'no FROM', text: 'RUN true', error: 'no FROM instruction' },
    { name: 'FROM without image', text: 'FROM', error: 'line 1: FROM needs an image, optionally followed by "AS name"' },
    { name: 'FROM with junk', text: 'FROM a b', error: 'line 1: FROM needs an image, optionally followed by "AS name"' },
    { name: 'empty after substitution', text: 'ARG X\nFROM $X', error: 'line 2: FROM $X names no image after substitution' },
    { name: 'unclosed brace', text: 'FROM ${X', error: 'unclosed ${ in "${X"' },
    { name: 'bad modifier', text: 'FROM ${X?err}', error: 'unsupported modifier in "${X?err}"' },
    { name: 'bad stage name', text: 'FROM a AS 9x', error: 'line 1: bad stage name "9x"' },
  ])('$name', ({ text, error }) => {
    expect(parseDockerfile(text)).toEqual({ ok: false, error });
  });
});

describe('substituteWord', () => {
  const values = new Map<string, string | undefined>([
    ['SET', 'v'],
    ['EMPTY', ''],
    ['UNSET', undefined],
  ]);
  it.each([
    ['$SET', 'v'],
    ['${SET}', 'v'],
    ['a${SET}b', 'avb'],
    ['$SET.x', 'v.x'],
    ['$MISSING', ''],
    ['${EMPTY:-d}', 'd'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${UNSET:-d}', 'd'],
    ['${SET:-d}', 'v'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${SET}x}', 'vx'],
    ['\\$SET', '$SET'],
    ["'$SET'", '$SET'],
    ['"$SET"', 'v'],
    ['$', '$'],
    ['$1', '$1'],
  ])('%s → %s', (word, expected) => {
    expect(substituteWord(word, values)).toBe(expected);
  });

  it('uses the escape directive character', () => {
    expect(substituteWord('`$SET', values, '`')).toBe('$SET');
  });
});

describe('splitWords', () => {
  it.each([
    ['a  b\tc', ['a', 'b', 'c']],
    ['"a b" c', ['"a b"', 'c']],
    ["'a b'c d", ["'a b'c", 'd']],
    ['a\\ b c', ['a\\ b', 'c']],
    ['', []],
  ])('%j', (text, words) => {
    expect(splitWords(text)).toEqual(words);
  });
});

describe('followPinnedBases', () => {
  const D = `sha256:${'a'.repeat(64)}`;

  it('reduces FROM NAME:TAG@DIGEST to NAME:TAG, keeping flags, stage names and a FROM by digest alone', () => {
    const text = [
      `FROM --platform=$BUILDPLATFORM reg.example:5000/team/base:prod@${D} AS build`,
      `from debian:12@${D}`,
      `FROM debian@${D}`,
      `COPY --from=debian:12@${D} /etc/os-release /`,
      '',
    ].join('\n');
    expect(followPinnedBases(text).split('\n')).toEqual([
      'FROM --platform=$BUILDPLATFORM reg.example:5000/team/base:prod AS build',
      'from debian:12',
      `FROM debian@${D}`,
      `COPY --from=debian:12@${D} /etc/os-release /`,
      '',
    ]);
    expect(parseDockerfile(followPinnedBases(text))).toMatchObject({
      ok: true,
      value: { bases: ['reg.example:5000/team/base:prod', 'debian:12', `debian:12@${D}`, `debian@${D}`] },
    });
  });
});
