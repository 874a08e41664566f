import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeInstant, instantOf, parseClock, parseDays, parseWindows, windowState, WEEKDAYS, type MaintenanceWindow } from '../../src/model/window.js';

const utc = (iso: string): number => Date.parse(iso);
const win = (start: string, end: string, timeZone = 'UTC', days: MaintenanceWindow['days'] = [...WEEKDAYS]): MaintenanceWindow => ({
  days,
  start: parseClock(start, false)!,
  end: parseClock(end, true)!,
  timeZone,
});
const iso = (ms: number): string => new Date(ms).toISOString();

describe('parsing', () => {
  it('reads times of day and day ranges, and refuses what is neither', () => {
    expect([parseClock('00:00', false), parseClock('02:30', false), parseClock('23:59', false), parseClock('24:00', true)]).toEqual([0, 150, 1439, 1440]);
    expect([parseClock('24:00', false), parseClock('2:30', false), parseClock('12:60', false), parseClock('noon', false)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(parseDays('mon-fri')).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
    expect(parseDays('fri-mon')).toEqual(['fri', 'sat', 'sun', 'mon']);
    expect(parseDays('Sun')).toEqual(['sun']);
    expect([parseDays('monday'), parseDays('mon-'), parseDays('mon-tue-wed')]).toEqual([undefined, undefined, undefined]);
  });

  it('names each problem at its path: time, day, time zone, a window of no length', () => {
    const { problems, windows } = parseWindows([
      { start: '2:00', end: '05:00' },
      { start: '02:00', end: '05:00', days: ['mon', 'funday'], time_zone: 'Mars/Olympus' },
      { start: '03:00', end: '03:00' },
      { start: '22:00', end: '02:00', days: 'sat-sun', time_zone: 'America/New_York' },
    ]);
    expect(problems).toEqual([
      { path: [0, 'start'], message: '"start" is a local time of day such as 02:00, not "2:00"' },
      { path: [1, 'days', 1], message: '"funday" is not a day or a range of days: write mon, tue, … sun, or a range such as mon-fri' },
      { path: [1, 'time_zone'], message: '"Mars/Olympus" is not a time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC' },
      { path: [2, 'end'], message: '"end" is the same time as "start" (03:00): a window needs a length' },
    ]);
    expect(windows.at(-1)).toEqual({ days: ['sun', 'sat'], start: 1320, end: 120, timeZone: 'America/New_York' });
    expect(parseWindows({ start: '01:00', end: '24:00' })).toEqual({ windows: [win('01:00', '24:00')], problems: [] });
  });
});

describe('windowState', () => {
  it('is open inside, closed outside, with the next opening on the next day it applies to', () => {
    const weekdays = [win('02:00', '04:00', 'UTC', ['mon', 'tue', 'wed', 'thu', 'fri'])];
    // 2026-12-04 is a Friday.
    expect(windowState(weekdays, utc('2026-12-04T03:00:00Z'))).toMatchObject({ open: true, closesAt: utc('2026-12-04T04:00:00Z') });
    expect(windowState(weekdays, utc('2026-12-04T04:00:00Z'))).toMatchObject({ open: false, opensAt: utc('2026-12-07T02:00:00Z') });
    expect(windowState(weekdays, utc('2026-12-04T01:59:59Z'))).toMatchObject({ open: false, opensAt: utc('2026-12-04T02:00:00Z') });
  });

  it('a window across midnight belongs to the day it starts on', () => {
    const saturdayNight = [win('22:00', '02:00', 'UTC', ['sat'])];
    // 2026-12-05 is a Saturday: open from 22:00 until Sunday 02:00, not on Sunday night.
    expect(windowState(saturdayNight, utc('2026-12-06T01:00:00Z'))).toMatchObject({ open: true, closesAt: utc('2026-12-06T02:00:00Z') });
    expect(windowState(saturdayNight, utc('2026-12-06T23:00:00Z'))).toMatchObject({ open: false, opensAt: utc('2026-12-12T22:00:00Z') });
  });

  it('several windows: open in either, the earliest next opening, the latest close of those open', () => {
    const both = [win('01:00', '03:00'), win('02:00', '05:00', 'UTC', ['tue'])];
    expect(windowState(both, utc('2026-12-01T02:30:00Z'))).toMatchObject({ open: true, closesAt: utc('2026-12-01T05:00:00Z') });
    expect(windowState(both, utc('2026-12-02T03:30:00Z'))).toMatchObject({ open: false, opensAt: utc('2026-12-03T01:00:00Z') });
  });

  it('keeps local hours in a time zone, across the DST change in spring (the gap) and autumn (the hour that repeats)', () => {
    const berlin = [win('02:30', '04:00', 'Europe/Berlin')];
    // Winter: 02:30 CET is 01:30Z. Summer: 02:30 CEST is 00:30Z.
    expect(windowState(berlin, utc('2026-12-01T12:00:00Z'))).toMatchObject({ opensAt: utc('2026-12-02T01:30:00Z') });
    expect(windowState(berlin, utc('2026-07-01T12:00:00Z'))).toMatchObject({ opensAt: utc('2026-07-02T00:30:00Z') });
    // 2026-03-29: clocks jump from 02:00 to 03:00, so 02:30 does not exist; it opens as 03:30 CEST (01:30Z), closes 04:00 CEST.
    const spring = windowState(berlin, utc('2026-03-28T12:00:00Z'));
    expect(iso(spring.open ? 0 : spring.opensAt)).toBe('2026-03-29T01:30:00.000Z');
    expect(windowState(berlin, utc('2026-03-29T01:45:00Z'))).toMatchObject({ open: true, closesAt: utc('2026-03-29T02:00:00Z') });
    // 2026-10-25: clocks go back from 03:00 to 02:00, so 02:30 happens twice; it opens the first time (00:30Z), and the
    // window, 04:00 local, lasts two and a half hours that night.
    const autumn = windowState(berlin, utc('2026-10-24T12:00:00Z'));
    expect(iso(autumn.open ? 0 : autumn.opensAt)).toBe('2026-10-25T00:30:00.000Z');
    expect(windowState(berlin, utc('2026-10-25T02:30:00Z'))).toMatchObject({ open: true, closesAt: utc('2026-10-25T03:00:00Z') });
    expect(describeInstant(utc('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('Sun 2026-10-25 02:30 Europe/Berlin');
  });

  it('in New York too (DST on other dates), and with a far-east zone whose local day is ahead of UTC', () => {
    // 2026-03-08: 02:00 EST becomes 03:00 EDT.
    expect(instantOf(Date.UTC(2026, 2, 8, 2, 30), 'America/New_York')).toBe(utc('2026-03-08T07:30:00Z'));
    expect(instantOf(Date.UTC(2026, 2, 8, 3, 30), 'America/New_York')).toBe(utc('2026-03-08T07:30:00Z'));
    // Monday 01:00 in Tokyo is Sunday 16:00Z.
    const tokyo = [win('01:00', '02:00', 'Asia/Tokyo', ['mon'])];
    expect(windowState(tokyo, utc('2026-12-06T16:30:00Z'))).toMatchObject({ open: true, closesAt: utc('2026-12-06T17:00:00Z') });
  });

  it('property: the state is consistent with itself (open until its close; closed until its next opening, which is open)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'];
    fc.assert(
      fc.property(
        fc.integer({ min: utc('2026-01-01T00:00:00Z'), max: utc('2027-12-31T00:00:00Z') }),
        fc.integer({ min: 0, max: 1439 }),
        fc.integer({ min: 1, max: 1439 }),
        fc.constantFrom(...zones),
        fc.subarray([...WEEKDAYS], { minLength: 1 }),
        (now, start, length, timeZone, days) => {
          const w: MaintenanceWindow = { days, start, end: (start + length) % 1440 || 1440, timeZone };
          const state = windowState([w], now);
          if (state.open) {
            expect(state.closesAt).toBeGreaterThan(now);
            expect(windowState([w], state.closesAt - 1).open).toBe(true);
          } else {
            expect(state.opensAt).toBeGreaterThan(now);
            expect(state.opensAt - now).toBeLessThanOrEqual(8 * 86_400_000);
            expect(windowState([w], state.opensAt).open).toBe(true);
            expect(windowState([w], state.opensAt - 1).open).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
