// Maintenance windows: when a play may roll out. A window is a span of local time (start, end) on some days of the week, in
// an IANA time zone; it may cross midnight (22:00 to 02:00 belongs to the day it starts). Times are local wall-clock times,
// so a window keeps its hours across DST changes. A time that falls in the gap when clocks jump forward moves on by the
// gap (02:30 becomes 03:30), and one that happens twice when they go back counts the first time. Pure: the time zone rules
// come from Intl.

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A maintenance window as a play carries it. */
export interface MaintenanceWindow {
  /** Days the window opens on (local to the time zone); every day when the playbook names none. */
  days: Weekday[];
  /** Minutes after local midnight. */
  start: number;
  /** Minutes after local midnight, up to 1440; at or before `start` it is on the next day. */
  end: number;
  timeZone: string;
}

/** Whether the windows are open at a moment, and until when, or when one opens next. */
export type WindowState = { open: true; closesAt: number; window: MaintenanceWindow } | { open: false; opensAt: number; window: MaintenanceWindow };

const DAY_MS = 86_400_000;
const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** `02:30` → 150; `24:00` only as an end. Undefined when not a time of day. */
export function parseClock(text: string, isEnd: boolean): number | undefined {
  if (isEnd && text === '24:00') return 1440;
  const match = CLOCK.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** `mon`, or a range such as `mon-fri` (`fri-mon` wraps over the weekend). Undefined when not a day or range. */
export function parseDays(entry: string): Weekday[] | undefined {
  const [from, to, extra] = entry.toLowerCase().split('-');
  const a = WEEKDAYS.indexOf(from as Weekday);
  const b = to === undefined ? a : WEEKDAYS.indexOf(to as Weekday);
  if (a < 0 || b < 0 || extra !== undefined) return undefined;
  const days: Weekday[] = [];
  for (let i = a; ; i = (i + 1) % 7) {
    days.push(WEEKDAYS[i]!);
    if (i === b) return days;
  }
}

/** Whether Intl knows the time zone. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local wall-clock time at `ms`, as milliseconds of a UTC date with the same fields. */
function wallClock(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, Number(p.value)]),
  );
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) + (ms % 1000);
}

const offsetAt = (ms: number, timeZone: string): number => wallClock(ms, timeZone) - ms;

/** The instant at which the zone's clocks show `wall` (a UTC date with the local fields): the earlier of two, or after a gap. */
export function instantOf(wall: number, timeZone: string): number {
  const before = wall - offsetAt(wall - DAY_MS, timeZone);
  const after = wall - offsetAt(wall + DAY_MS, timeZone);
  const valid = [before, after].filter((t) => wallClock(t, timeZone) === wall);
  // None valid: the time falls in a gap, and the offset from before it moves it past the jump, as clocks do.
  return valid.length > 0 ? Math.min(...valid) : before;
}

/** Whether the windows are open at `now` (ms): until when, or when the next one opens (within the coming eight days). */
export function windowState(windows: readonly MaintenanceWindow[], now: number): WindowState {
  let open: WindowState | undefined;
  let next: WindowState | undefined;
  for (const window of windows) {
    const today = wallClock(now, window.timeZone);
    const midnight = today - (((today % DAY_MS) + DAY_MS) % DAY_MS);
    for (let offset = -1; offset <= 8; offset++) {
      const day = midnight + offset * DAY_MS;
      if (!window.days.includes(WEEKDAYS[new Date(day).getUTCDay()]!)) continue;
      const start = instantOf(day + window.start * 60_000, window.timeZone);
      const end = instantOf(day + (window.end <= window.start ? DAY_MS : 0) + window.end * 60_000, window.timeZone);
      if (start <= now && now < end) {
        if (open === undefined || (open.open && end > open.closesAt)) open = { open: true, closesAt: end, window };
      } else if (start > now && (next === undefined || (!next.open && start < next.opensAt))) {
        next = { open: false, opensAt: start, window };
      }
    }
  }
  if (open) return open;
  if (next) return next;
  throw new Error('a maintenance window opens on no day of the week');
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `Wed 2026-12-02 02:00 Europe/Berlin`: an instant as the window's zone shows it. */
export function describeInstant(ms: number, timeZone: string): string {
  const wall = new Date(wallClock(ms, timeZone));
  const day = WEEKDAYS[wall.getUTCDay()]!;
  return `${day[0]!.toUpperCase()}${day.slice(1)} ${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())} ${timeZone}`;
}

const clockText = (minutes: number): string => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;

/** `mon-fri 02:00-05:00 Europe/Berlin`, for messages. */
export function describeWindow(window: MaintenanceWindow): string {
  const days = window.days.length === 7 ? 'daily' : window.days.join(',');
  return `${days} ${clockText(window.start)}-${clockText(window.end)} ${window.timeZone}`;
}

/** A problem with a window as written, at its path below the play's `window`. */
export interface WindowProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * The windows of a play's `window:` (one window or a list), or what is wrong with them. The schema has checked the shape;
 * this judges what it cannot: times of day, day names, the time zone.
 */
export function parseWindows(raw: unknown): { windows: MaintenanceWindow[]; problems: WindowProblem[] } {
  const list = Array.isArray(raw) ? raw : [raw];
  const windows: MaintenanceWindow[] = [];
  const problems: WindowProblem[] = [];
  list.forEach((entry, i) => {
    const at = (key: string): Array<string | number> => (Array.isArray(raw) ? [i, key] : [key]);
    if (typeof entry !== 'object' || entry === null) return;
    const w = entry as Record<string, unknown>;
    const clock = (key: 'start' | 'end'): number | undefined => {
      const value = typeof w[key] === 'string' ? parseClock(w[key], key === 'end') : undefined;
      if (value === undefined)
        problems.push({
          path: at(key),
          message: `"${key}" is a local time of day such as 02:00${key === 'end' ? ' (or 24:00)' : ''}, not ${JSON.stringify(w[key])}`,
        });
      return value;
    };
    const start = clock('start');
    const end = clock('end');
    if (start !== undefined && end !== undefined && start === end % 1440) {
      problems.push({ path: at('end'), message: `"end" is the same time as "start" (${String(w.start)}): a window needs a length` });
    }
    const days = new Set<Weekday>();
    const written = w.days === undefined ? ['sun-sat'] : Array.isArray(w.days) ? w.days : [w.days];
    written.forEach((d, j) => {
      const parsed = typeof d === 'string' ? parseDays(d) : undefined;
      if (parsed === undefined) {
        const where = Array.isArray(w.days) ? [...at('days'), j] : at('days');
        problems.push({ path: where, message: `${JSON.stringify(d)} is not a day or a range of days: write mon, tue, … sun, or a range such as mon-fri` });
      } else parsed.forEach((day) => days.add(day));
    });
    const timeZone = w.time_zone === undefined ? 'UTC' : w.time_zone;
    if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) {
      problems.push({
        path: at('time_zone'),
        message: `${JSON.stringify(timeZone)} is not a time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC`,
      });
    }
    if (start !== undefined && end !== undefined && typeof timeZone === 'string' && isTimeZone(timeZone)) {
      windows.push({ days: WEEKDAYS.filter((d) => days.has(d)), start, end, timeZone });
    }
  });
  return { windows, problems };
}
