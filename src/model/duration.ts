/** Parses `90`, `90s`, `1500ms`, `2m`, `1h`, `1m30s`, `30d`, `2w` into milliseconds; undefined when malformed. Bare numbers are seconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}

/** The longest wait a timer holds (setTimeout's limit, about 24.8 days): a longer one would fire at once. */
export const MAX_WAIT_MS = 2_147_483_647;

/**
 * What a duration setting may be: above zero (`positive`), at least `minMs`. A wait is at most MAX_WAIT_MS; an `age` (max_age:
 * compared with an image's age, never waited for) has no upper bound.
 */
export interface DurationLimits {
  positive?: boolean;
  minMs?: number;
  age?: boolean;
}

/**
 * The one check of a duration setting (step options, `pause`, `timeouts`, command-line options): its milliseconds, or what is
 * wrong with it as the end of a sentence about the setting (`"timeout" ` + problem).
 */
export function checkDuration(value: unknown, limits: DurationLimits = {}): { ms: number } | { problem: string } {
  const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  const shown = JSON.stringify(value) ?? String(value);
  if (ms === undefined) return { problem: `is not a duration: ${shown}; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)` };
  if (ms > MAX_WAIT_MS && limits.age !== true) return { problem: `is ${shown}, longer than the 24 days freshen can wait; use a shorter one` };
  if (limits.positive === true && ms <= 0) return { problem: `must be above zero, not ${shown}` };
  if (limits.minMs !== undefined && ms < limits.minMs) return { problem: `must be at least ${formatDuration(limits.minMs)}, not ${shown}` };
  return { ms };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** A span of hours or days for people, to the minute at most: `2d3h`, `5h`, `5h30m`, `42m`, `30s`. */
export function formatSpan(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s`;
  const minutes = Math.floor(ms / 60_000);
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  if (d > 0) return `${d}d${h > 0 ? `${h}h` : ''}`;
  if (h > 0) return `${h}h${m > 0 ? `${m}m` : ''}`;
  return `${m}m`;
}
