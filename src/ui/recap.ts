import type { HostRecap } from '../model/results.js';
import type { RunReport } from '../runner/report.js';

/** The PLAY RECAP block, one line per host, columns aligned as ansible-playbook prints them. */
export function formatRecap(recap: Record<string, HostRecap>): string {
  const hosts = Object.keys(recap);
  if (hosts.length === 0) return 'PLAY RECAP\n(no hosts)';
  const width = Math.max(...hosts.map((h) => h.length));
  const lines = hosts.map((host) => {
    const r = recap[host]!;
    const cells = [
      `ok=${r.ok}`,
      `changed=${r.changed}`,
      `unreachable=${r.unreachable}`,
      `failed=${r.failed}`,
      `skipped=${r.skipped}`,
      `rescued=${r.rescued}`,
      `rolled_back=${r.rolled_back}`,
    ];
    // Each cell leaves room for a four-digit count, as ansible-playbook's recap does.
    return `${host.padEnd(width)} : ${cells
      .map((c) => c.padEnd(c.indexOf('=') + 6))
      .join('')
      .trimEnd()}`;
  });
  return ['PLAY RECAP', ...lines].join('\n');
}

/**
 * The reasons behind the recap's numbers, one line per step that failed, could not reach its host, rolled back or rescued
 * a container, and per play that stopped early: the first line of each reason (the full text, with logs, is above and in --json).
 */
export function formatReasons(report: RunReport): string[] {
  const lines: string[] = [];
  for (const play of report.plays) {
    if (play.stopped) lines.push(`PLAY [${play.name}] stopped: ${play.stopped}`);
    for (const [host, records] of Object.entries(play.hosts)) {
      for (const record of records) {
        const counts = [record.rolled_back ? `rolled_back=${record.rolled_back}` : '', record.rescued ? `rescued=${record.rescued}` : ''].filter(Boolean);
        const troubled = record.status === 'failed' || record.status === 'unreachable';
        if (!troubled && counts.length === 0) continue;
        const what = [troubled ? `${record.status}${record.code ? ` (${record.code})` : ''}` : record.status, ...counts].join(', ');
        const why = troubled ? record.reason?.split('\n')[0] : record.actions[0];
        lines.push(`${host} ${record.step}: ${what}${why ? `: ${why}` : ''}`);
      }
    }
  }
  return lines;
}
