/** `web1`, `web1 and web2`, `web1, web2, web3, web4 and 3 more`. */
export function hostList(hosts: readonly string[]): string {
  if (hosts.length <= 1) return hosts.join('');
  const shown = hosts.length > 5 ? [...hosts.slice(0, 4), `${hosts.length - 4} more`] : [...hosts];
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

/** The hosts as the subject of a sentence: `web1 has … it`, `web1 and web2 have … them`. */
export const hostsAsSubject = (hosts: readonly string[]): { list: string; have: string; them: string } =>
  hosts.length === 1 ? { list: hosts[0]!, have: 'has', them: 'it' } : { list: hostList(hosts), have: 'have', them: 'them' };
