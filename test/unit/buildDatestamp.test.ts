import { describe, expect, it } from 'vitest';
import { dateFormatProblem, formatDatestamp, freeDatestampTag } from '../../src/images/datestamp.js';

const when = new Date(Date.UTC(2026, 10, 28, 3, 1, 9));

describe('formatDatestamp', () => {
  it.each([
    { format: undefined, tag: '20261128-0301' },
    { format: 'YYYYMMDD-HHmm', tag: '20261128-0301' },
    { format: 'YYYY.MM.DD-HHmmss', tag: '2026.11.28-030109' },
    { format: 'build-YYYYMMDD', tag: 'build-20261128' },
  ])('$format → $tag', ({ format, tag }) => {
    expect(formatDatestamp(when, format)).toBe(tag);
  });

  it('uses UTC whatever the local zone', () => {
    // 23:30 on 31 Dec UTC-2 is already the next year in UTC.
    expect(formatDatestamp(new Date('2026-12-31T23:30:00-02:00'))).toBe('20270101-0130');
  });
});

describe('dateFormatProblem', () => {
  it.each([
    { format: 'YYYYMMDD-HHmm', problem: undefined },
    { format: 'YYYY MM', problem: 'date_format "YYYY MM" does not give a valid image tag (letters, digits, "_", "." and "-", up to 128)' },
    { format: '-YYYY', problem: 'date_format "-YYYY" does not give a valid image tag (letters, digits, "_", "." and "-", up to 128)' },
    { format: 'latest', problem: 'date_format "latest" has no date token (YYYY MM DD HH mm ss)' },
  ])('$format', ({ format, problem }) => {
    expect(dateFormatProblem(format)).toBe(problem);
  });
});

describe('freeDatestampTag', () => {
  const taken = (...entries: Array<[string, string | undefined]>) => new Map(entries);
  it.each([
    { name: 'free', existing: taken(), imageId: 'sha256:new', tag: '20261128-0301' },
    { name: 'taken by another image', existing: taken(['20261128-0301', 'sha256:old']), imageId: 'sha256:new', tag: '20261128-0301-2' },
    {
      name: 'second and third taken',
      existing: taken(['20261128-0301', 'sha256:a'], ['20261128-0301-2', 'sha256:b']),
      imageId: 'sha256:new',
      tag: '20261128-0301-3',
    },
    { name: 'already names this image: re-used', existing: taken(['20261128-0301', 'sha256:new']), imageId: 'sha256:new', tag: '20261128-0301' },
    { name: 'taken, image unknown', existing: taken(['20261128-0301', undefined]), imageId: 'sha256:new', tag: '20261128-0301-2' },
    { name: 'prediction without an image', existing: taken(['20261128-0301', 'sha256:a']), imageId: undefined, tag: '20261128-0301-2' },
    { name: 'a gap is filled', existing: taken(['20261128-0301', 'sha256:a'], ['20261128-0301-3', 'sha256:c']), imageId: 'x', tag: '20261128-0301-2' },
  ])('$name', ({ existing, imageId, tag }) => {
    expect(freeDatestampTag('20261128-0301', existing, imageId)).toBe(tag);
  });

  it('keeps lexical order equal to age order for suffixed tags of the same minute', () => {
    const tags = ['20261128-0302', '20261128-0301-2', '20261128-0301', '20261128-0259'];
    expect([...tags].sort()).toEqual(['20261128-0259', '20261128-0301', '20261128-0301-2', '20261128-0302']);
  });
});
