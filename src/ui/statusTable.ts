import type { FleetStatus, RunningStatus, StageStatus } from '../status/fleetStatus.js';
import { shortDigest } from '../model/imageRef.js';

const shown = (r: RunningStatus): string => `${r.build ?? (r.digest ? shortDigest(r.digest) : 'unknown')}${r.behind ? '  BEHIND' : ''}`;

/** Pads columns to the widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** `freshen status` on a terminal: images (prod build, age, verdict), then what each host runs. */
export function statusLines(status: FleetStatus): string[] {
  const lines: string[] = [];
  if (status.images.length > 0) {
    lines.push(
      ...table([
        ['IMAGE', 'PROD BUILD', 'AGE', 'BUILDS', 'STATUS'],
        ...status.images.map((image) => [
          image.ref,
          image.prod?.build ?? (image.prod ? shortDigest(image.prod.digest) : 'not published'),
          image.prod?.age_days !== undefined ? `${image.prod.age_days}d` : '-',
          String(image.builds.length),
          image.stale ? `stale: ${image.reasons.join(', ')}${image.pending_packages ? ` (${image.pending_packages} package updates pending)` : ''}` : 'fresh',
        ]),
      ]),
    );
  }
  const running = status.hosts.flatMap((host) =>
    host.state !== 'ok'
      ? [[host.host, '-', '-', `${host.state.toUpperCase()}: ${(host.reason ?? '').split('\n')[0]}`]]
      : [...host.containers.map((c) => [host.host, c.name, c.ref, shown(c)]), ...host.services.map((s) => [host.host, `service ${s.name}`, s.ref, shown(s)])],
  );
  if (running.length > 0) lines.push('', ...table([['HOST', 'CONTAINER', 'IMAGE', 'RUNS'], ...running]));
  if (status.stages !== undefined) {
    lines.push(
      '',
      ...table([
        ['REPOSITORY', 'STAGE', 'BUILD', 'SINCE', 'NEXT', 'PROMOTION'],
        ...status.stages.map((s) => [s.repository, s.stage, shortDigest(s.build), s.since ?? '-', s.next, stageVerdict(s)]),
      ]),
    );
  }
  for (const image of status.images)
    if (image.changes !== undefined && image.changes.lines.length > 0)
      lines.push(
        '',
        `${image.ref} ${image.prod?.build ?? ''} changed against ${image.changes.against}:`,
        ...image.changes.lines.slice(0, 20).map((l) => `  ${l}`),
      );
  for (const image of status.images) if (image.sbom !== undefined) lines.push(`${image.ref}: SBOM ${shortSbom(image.sbom.digest)} (${image.sbom.command})`);
  for (const host of status.hosts) for (const note of host.notes) lines.push(`${host.host}: ${note}`);
  const behind = status.hosts.filter((h) => [...h.containers, ...h.services].some((r) => r.behind)).map((h) => h.host);
  const stale = status.images.filter((i) => i.stale).length;
  lines.push(
    '',
    `${status.images.length} images, ${stale} stale; ${status.hosts.length} hosts, ${behind.length} behind${behind.length > 0 ? ` (${behind.join(', ')})` : ''}, ${status.hosts.filter((h) => h.state !== 'ok').length} unreachable or failing`,
  );
  return lines;
}

const shortSbom = (digest: string): string => `${digest.slice(0, 19)}…`;

/** promote's verdict in a few words: when the next stage gets the build, or why it does not. */
export function stageVerdict(stage: StageStatus): string {
  switch (stage.action) {
    case 'promote':
      return `due now: ${stage.reason}`;
    case 'wait':
      return stage.eligible_at !== undefined ? `eligible at ${stage.eligible_at}` : `waits: ${stage.reason}`;
    case 'hold':
      return `held: ${stage.reason}`;
    case 'none':
      return stage.next_build === stage.build ? `${stage.next} runs it` : stage.reason;
    default: {
      const unknown: never = stage.action;
      return String(unknown);
    }
  }
}
