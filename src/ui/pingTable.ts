import { formatDuration } from '../model/duration.js';
import { alignedColumns, plural } from './columns.js';

/** One check of `freshen ping`: a host's transport (or a registry the inventory names), and how it went. */
export interface PingCheck {
  /** The inventory host, or `-` for a registry (checked once, whichever hosts name it). */
  host: string;
  check: 'engine' | 'ssh' | 'registry';
  /** Where it went: the engine's address, `user@host:port`, the registry's URL (never a password). */
  target: string;
  ok: boolean;
  /** What was found (`API 1.41, Docker 20.10.24, no swarm`) or why it failed. */
  detail: string;
  ms: number;
}

/** The table `freshen ping` prints, and its last line. */
export function pingLines(checks: PingCheck[]): string[] {
  const rows = [
    ['HOST', 'CHECK', 'TARGET', 'RESULT', 'TIME'],
    ...checks.map((c) => [c.host, c.check, c.target, `${c.ok ? 'ok' : 'FAILED'}: ${c.detail.split('\n')[0]}`, formatDuration(c.ms)]),
  ];
  const lines = alignedColumns(rows);
  const failed = checks.filter((c) => !c.ok);
  const hosts = new Set(checks.filter((c) => c.host !== '-').map((c) => c.host)).size;
  lines.push('', `${plural(checks.length, 'check')} of ${plural(hosts, 'host')}: ${failed.length === 0 ? 'all ok' : `${failed.length} failed`}`);
  return lines;
}
