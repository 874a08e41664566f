import type { FleetStatus, HostStatus, ImageStatus, RunningStatus } from '../status/fleetStatus.js';
import { stageVerdict } from './statusTable.js';
import { shortDigest } from '../model/imageRef.js';

// `freshen status --html FILE`: one self-contained page (inline CSS, no scripts, no external assets) that someone who has
// never seen freshen can read: one row per image, one column per host, each cell the build that host runs.

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } p.meta { color: #5b6475; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 12px 0 20px; } th, td { border: 1px solid #d6dae3; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f2f4f8; font-weight: 600; } td.image { font-family: ui-monospace, monospace; }
.fresh { background: #dff3e4; } .stale { background: #fde2c8; } .behind { background: #fbd3d0; } .current { background: #dff3e4; }
.none { color: #9aa1ae; } .down { background: #e6e7eb; color: #5b6475; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 8px; border: 1px solid #d6dae3; }
ul { margin: 4px 0 16px 18px; padding: 0; } small { color: #5b6475; }
`;

function cell(image: ImageStatus | { ref: string }, host: HostStatus): string {
  if (host.state !== 'ok') return `<td class="down">${escape(host.state)}</td>`;
  const runs: RunningStatus[] = [...host.containers, ...host.services].filter((r) => r.ref === image.ref);
  if (runs.length === 0) return '<td class="none">—</td>';
  const behind = runs.some((r) => r.behind);
  const lines = runs.map((r) => `${escape(r.name)}: ${escape(r.build ?? (r.digest ? shortDigest(r.digest) : 'unknown'))}${r.behind ? ' (behind)' : ''}`);
  return `<td class="${behind ? 'behind' : 'current'}">${lines.join('<br>')}</td>`;
}

function imageCell(image: ImageStatus | undefined, ref: string): string {
  if (image === undefined) return `<td class="image">${escape(ref)}<br><small>not built by this playbook</small></td>`;
  const age = image.prod?.age_days !== undefined ? `, ${image.prod.age_days} days old` : '';
  const verdict = image.stale
    ? `stale: ${escape(image.reasons.join(', '))}${image.pending_packages ? `, ${image.pending_packages} package updates pending` : ''}`
    : 'fresh';
  const changes =
    image.changes !== undefined && image.changes.lines.length > 0
      ? `<br><small>changed against ${escape(image.changes.against)}: ${escape(image.changes.lines.slice(0, 8).join(', '))}${image.changes.lines.length > 8 ? `, … ${image.changes.lines.length - 8} more` : ''}</small>`
      : '';
  const sbom =
    image.sbom !== undefined
      ? `<br><small>SBOM <code>${escape(image.sbom.digest.slice(0, 19))}…</code>: <code>${escape(image.sbom.command)}</code></small>`
      : '';
  return `<td class="image ${image.stale ? 'stale' : 'fresh'}">${escape(ref)}<br><small>prod ${escape(image.prod?.build ?? 'unpublished')}${age}; ${verdict}</small>${changes}${sbom}</td>`;
}

/** The page. */
export function statusHtml(status: FleetStatus): string {
  const refs = [...new Set([...status.images.map((i) => i.ref), ...status.hosts.flatMap((h) => [...h.containers, ...h.services].map((r) => r.ref))])].sort();
  const byRef = new Map(status.images.map((i) => [i.ref, i]));
  const head = `<tr><th>image</th>${status.hosts.map((h) => `<th>${escape(h.host)}</th>`).join('')}</tr>`;
  const rows = refs.map((ref) => `<tr>${imageCell(byRef.get(ref), ref)}${status.hosts.map((h) => cell({ ref }, h)).join('')}</tr>`).join('\n');
  const stale = status.images.filter((i) => i.stale);
  const explanations = stale.map((i) => `<li><b>${escape(i.ref)}</b>: ${escape(i.explanations.join('; ') || i.reasons.join(', '))}</li>`).join('');
  const problems = status.hosts
    .filter((h) => h.state !== 'ok' || h.notes.length > 0)
    .map(
      (h) =>
        `<li><b>${escape(h.host)}</b>: ${escape([h.state !== 'ok' ? `${h.state}: ${(h.reason ?? '').split('\n')[0]}` : '', ...h.notes].filter(Boolean).join('; '))}</li>`,
    )
    .join('');
  const stages = (status.stages ?? [])
    .map(
      (s) =>
        `<tr><td class="image">${escape(s.repository)}</td><td>${escape(s.stage)}</td><td class="image">${escape(shortDigest(s.build))}</td><td>${escape(s.since ?? '—')}</td><td>${escape(s.next)}</td><td class="${s.action === 'hold' ? 'behind' : s.action === 'promote' ? 'stale' : 'current'}">${escape(stageVerdict(s))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>freshen status</title><style>${CSS}</style></head>
<body>
<h1>Image freshness</h1>
<p class="meta">${status.images.length} images (${stale.length} stale) on ${status.hosts.length} hosts, as of ${escape(status.generated_at)}.
Each row is an image; each column a host; each cell the build (datestamp tag) its containers run.</p>
<p class="legend"><span class="fresh">fresh / on the current build</span><span class="stale">image stale: a rebuild is due</span><span class="behind">host behind: not on the current build</span><span class="down">host unreachable</span></p>
<table>
${head}
${rows}
</table>
${stages ? `<h2>Stages</h2><p class="meta">Each stage's build, since when every host of the stage runs it, and when the next stage gets it.</p><table><tr><th>repository</th><th>stage</th><th>build</th><th>since</th><th>next</th><th>promotion</th></tr>\n${stages}\n</table>` : ''}
${explanations ? `<h2>Why images are stale</h2><ul>${explanations}</ul>` : ''}
${problems ? `<h2>Hosts</h2><ul>${problems}</ul>` : ''}
</body></html>
`;
}
