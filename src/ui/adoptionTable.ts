import type { AdoptionRow } from '../init/adoption.js';
import { alignedColumns, plural } from './columns.js';

/** A host `init` could not survey, and why. */
export interface UnreachableHost {
  host: string;
  reason: string;
}

/** The table `freshen init` prints: every container and service it saw, managed or why not, then the unreachable hosts. */
export function adoptionLines(rows: readonly AdoptionRow[], unreachable: readonly UnreachableHost[]): string[] {
  const table = [
    ['HOST', 'WORKLOAD', 'IMAGE', 'FRESHEN'],
    ...rows.map((r) => [
      r.host,
      `${r.kind === 'service' ? 'service ' : ''}${r.name}${r.compose !== undefined ? ` (compose ${r.compose})` : ''}`,
      r.image,
      r.managed ? r.reason : `left alone: ${r.reason}`,
    ]),
    ...unreachable.map((u) => [u.host, '-', '-', `UNREACHABLE: ${u.reason.split('\n')[0]}`]),
  ];
  const managed = rows.filter((r) => r.managed).length;
  return [
    ...alignedColumns(table),
    '',
    `${managed} of ${plural(rows.length, 'workload')} managed${unreachable.length > 0 ? `; ${plural(unreachable.length, 'host')} unreachable` : ''}`,
  ];
}
