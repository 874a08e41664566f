/**
 * Host names as Ansible inventories write them: `web[01:20].example.org` (numeric, zero-padded when the start is), `db-[a:c]`
 * (letters), `[1:9:2]` (a step), several ranges in one name, and `name:port` (which sets `ansible_port`).
 */
export type ExpandedHosts = { names: string[]; port?: number } | { error: string };

/** More names than this from one line is a typo (`[1:100000000]`), not a fleet. */
export const MAX_RANGE_HOSTS = 10_000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function expandHostPattern(pattern: string): ExpandedHosts {
  const split = splitPort(pattern);
  if ('error' in split) return split;
  const names = expandRanges(split.name);
  if ('error' in names) return names;
  return { names: names.names, ...(split.port !== undefined ? { port: split.port } : {}) };
}

/** `host:22` → port 22. A bracketed IPv6 address (`[::1]:22`) and a bare one (two or more colons) are left whole. */
function splitPort(pattern: string): { name: string; port?: number } | { error: string } {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(pattern);
  if (bracketed && bracketed[1]!.includes(':')) return { name: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const colons = pattern.replace(/\[[^\]]*\]/g, '').split(':').length - 1;
  if (colons !== 1) return { name: pattern };
  const at = pattern.lastIndexOf(':');
  const port = pattern.slice(at + 1);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return { error: `"${pattern}" ends in ":${port}", which is not a port (1 to 65535)` };
  return { name: pattern.slice(0, at), port: Number(port) };
}

function expandRanges(name: string): { names: string[] } | { error: string } {
  const match = /^(.*?)\[([^\]]*)\](.*)$/s.exec(name);
  if (!match) return name.includes('[') || name.includes(']') ? { error: `"${name}" has an unmatched bracket` } : { names: [name] };
  const [, head, range, tail] = match as unknown as [string, string, string, string];
  const middle = rangeValues(range, name);
  if ('error' in middle) return middle;
  const rest = expandRanges(tail);
  if ('error' in rest) return rest;
  if (middle.values.length * rest.names.length > MAX_RANGE_HOSTS) return { error: `"${name}" names more than ${MAX_RANGE_HOSTS} hosts` };
  return { names: middle.values.flatMap((value) => rest.names.map((after) => `${head}${value}${after}`)) };
}

/** `01:20`, `a:f` or `1:9:2` → each value, as Ansible's expand_hostname_range gives them. */
function rangeValues(range: string, name: string): { values: string[] } | { error: string } {
  const parts = range.split(':');
  if (parts.length < 2 || parts.length > 3) return { error: `"${name}": a range is [start:end] or [start:end:step], not [${range}]` };
  const [start = '', end = '', stepText = '1'] = parts;
  const step = Number(stepText);
  if (!/^\d+$/.test(stepText) || step < 1) return { error: `"${name}": the step of [${range}] must be a whole number above zero` };
  const begin = start === '' ? '0' : start;
  if (/^\d+$/.test(begin) && /^\d+$/.test(end)) {
    const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
    if (width > 0 && width !== end.length) return { error: `"${name}": a zero-padded range needs a start and end of the same width, not [${range}]` };
    const from = Number(begin);
    const to = Number(end);
    if (from > to) return { error: `"${name}": the range [${range}] ends before it starts` };
    if ((to - from) / step >= MAX_RANGE_HOSTS) return { error: `"${name}" names more than ${MAX_RANGE_HOSTS} hosts` };
    const values: string[] = [];
    for (let n = from; n <= to; n += step) values.push(String(n).padStart(width, '0'));
    return { values };
  }
  const from = LETTERS.indexOf(begin);
  const to = LETTERS.indexOf(end);
  if (begin.length !== 1 || end.length !== 1 || from < 0 || to < 0) {
    return { error: `"${name}": [${range}] is neither a number range ([01:20]) nor a letter range ([a:f])` };
  }
  if (from > to) return { error: `"${name}": the range [${range}] ends before it starts` };
  const values: string[] = [];
  for (let n = from; n <= to; n += step) values.push(LETTERS[n]!);
  return { values };
}
