import type { HostRecap } from '../model/results.js';

/** The PLAY RECAP block, one line per host, columns aligned as ansible-playbook prints them. */
export function formatRecap(recap: Record<string, HostRecap>): string {
  const hosts = Object.keys(recap);
  if (hosts.length === 0) return 'PLAY RECAP\n(no hosts)';
  const width = Math.max(...hosts.map((h) => h.length));
  const lines = hosts.map((host) => {
    const r = recap[host]!;
    const cells = [`ok=${r.ok}`, `changed=${r.changed}`, `unreachable=${r.unreachable}`, `failed=${r.failed}`, `skipped=${r.skipped}`, `rescued=${r.rescued}`, `rolled_back=${r.rolled_back}`];
    // Each cell leaves room for a four-digit count, as ansible-playbook's recap does.
    return `${host.padEnd(width)} : ${cells.map((c) => c.padEnd(c.indexOf('=') + 6)).join('').trimEnd()}`;
  });
  return ['PLAY RECAP', ...lines].join('\n');
}
