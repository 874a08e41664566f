import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { datestampFormat, datestampFormatOf, freeDatestampTag } from '../../src/images/datestamp.js';

describe('datestampFormat().isDatestamp: exactly the tags rebuild makes in that format', () => {
  it.each([
    ['YYYYMMDD-HHmm', '20261128-0301', true],
    ['YYYYMMDD-HHmm', '20261128-0301-2', true],
    ['YYYYMMDD-HHmm', '20261128-0301-12', true],
    ['YYYYMMDD-HHmm', '20261128-0301-1', false],
    ['YYYYMMDD-HHmm', '20261128-030115', false],
    ['YYYYMMDD-HHmmss', '20261128-030115', true],
    ['YYYYMMDD-HHmm', 'prod', false],
    ['YYYYMMDD-HHmm', 'latest', false],
    ['YYYYMMDD-HHmm', '2026112-0301', false],
    ['YYYYMMDD-HHmm', '20261128-031', false],
    ['YYYYMMDD-HHmm', '20261128-0301-', false],
    ['YYYYMMDD-HHmm', 'v20261128-0301', false],
    ['YYYYMMDD-HHmm', '20261128-0301-rc1', false],
    ['YYYYMMDD-HHmm', '20261340-0301', false],
    ['YYYYMMDD-HHmm', '20261128-2460', false],
    ['DD.MM.YYYY-HHmm', '28.11.2026-0301', true],
    ['DD.MM.YYYY-HHmm', '28x11x2026-0301', false],
    ['DD.MM.YYYY-HHmm', '20261128-0301', false],
    ['build-YYYYMMDD', 'build-20261128-3', true],
    ['build-YYYYMMDD', '20261128', false],
  ])('%s: %s → %s', (format, tag, expected) => {
    expect(datestampFormat(format).isDatestamp(tag)).toBe(expected);
  });

  it('orders by time, then the same-minute suffix as a number', () => {
    const tags = ['20261128-0301-10', '20261128-0301', '20261127-2359', '20261128-0301-2', '20261128-0301-9', '20261128-0302'];
    expect([...tags].sort(datestampFormat().compare)).toEqual([
      '20261127-2359',
      '20261128-0301',
      '20261128-0301-2',
      '20261128-0301-9',
      '20261128-0301-10',
      '20261128-0302',
    ]);
  });

  it('orders a format whose lexical order is not age order by the date it names', () => {
    const format = datestampFormat('DD.MM.YYYY-HHmm');
    expect(['01.12.2026-0000', '31.10.2026-2359', '01.11.2026-0000'].sort(format.compare)).toEqual(['31.10.2026-2359', '01.11.2026-0000', '01.12.2026-0000']);
  });

  it('reads the format from the variable date_format', () => {
    expect(datestampFormatOf({}).pattern).toBe('YYYYMMDD-HHmm');
    expect(datestampFormatOf({ date_format: 'YYYY.MM.DD' }).isDatestamp('2026.11.28')).toBe(true);
  });
});

describe('a format parses back every tag it makes', () => {
  const formats = ['YYYYMMDD-HHmm', 'YYYYMMDD-HHmmss', 'DD.MM.YYYY-HHmm', 'build-YYYYMMDD', 'HHmm_DDMMYYYY', 'YYYY.MM.DD-HH.mm.ss'];
  const dates = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });

  it('format → parse → the same minute (or second), with any suffix; compare agrees with time order', () => {
    fc.assert(
      fc.property(fc.constantFrom(...formats), dates, dates, fc.integer({ min: 1, max: 50 }), (pattern, a, b, n) => {
        const format = datestampFormat(pattern);
        const precision = pattern.includes('ss') ? 1000 : pattern.includes('mm') ? 60_000 : 86_400_000;
        const tagA = format.format(a);
        const withSuffix = freeDatestampTag(tagA, new Map(Array.from({ length: n - 1 }, (_, i) => [i === 0 ? tagA : `${tagA}-${i + 1}`, 'other'])));
        expect(format.parse(tagA)?.time).toBe(Math.floor(a.getTime() / precision) * precision);
        expect(format.parse(withSuffix)?.suffix).toBe(n);
        const tagB = format.format(b);
        const byTime = Math.sign(Math.floor(a.getTime() / precision) - Math.floor(b.getTime() / precision));
        expect(Math.sign(format.compare(tagA, tagB))).toBe(byTime);
      }),
    );
  });
});
