// What a run's notification says, as a value: what was rebuilt and why, what changed inside, where it rolled out, what
// failed or was rolled back and why. Built from the run's report alone. Pure.
import { createHash } from 'node:crypto';
import { promotionsIn, rebuildFindingsIn, verdictsIn } from '../model/stepDetails.js';
import type { RunReport, StepRecord } from '../runner/report.js';

export interface RunSummary {
  rebuilt: Array<{ ref: string; reasons: string[]; packages: string[] }>;
  rolled_out: Array<{ host: string; step: string; actions: string[] }>;
  failed: Array<{ host: string; step: string; status: string; code?: string; reason: string }>;
  /** Builds promote moved to the next stage (present when there are any). */
  promoted?: Array<{ repository: string; from: string; to: string; build: string; reason: string }>;
  /** Builds a stage holds back for good: a host of the stage rolled them back (present when there are any). */
  held?: Array<{ repository: string; stage: string; build: string; reason: string }>;
  recap: RunReport['recap'];
}

const ROLLOUT_STEPS = new Set(['start', 'service', 'rollback']);
const firstLine = (text: string): string => text.split('\n')[0]!.slice(0, 300);

/** The summary of the plays `plays` names (those that carry `notify`). */
export function runSummary(report: RunReport, plays: ReadonlySet<string>): RunSummary {
  const summary: RunSummary = { rebuilt: [], rolled_out: [], failed: [], recap: report.recap };
  const steps: Array<{ host: string; record: StepRecord }> = report.plays
    .filter((play) => plays.has(play.name))
    .flatMap((play) => Object.entries(play.hosts).flatMap(([host, records]) => records.map((record) => ({ host, record }))));
  const stale = new Map<string, { ref: string; reasons: string[] }>();
  for (const { record } of steps.filter((s) => s.record.step === 'discover'))
    for (const verdict of verdictsIn(record.details)) if (verdict.stale) stale.set(verdict.ref, verdict);
  for (const { record } of steps.filter((s) => s.record.step === 'rebuild')) {
    const { rebuilt = [], changes = {} } = rebuildFindingsIn(record.details);
    for (const verdict of stale.values()) {
      if (!rebuilt.includes(verdict.ref)) continue;
      const c = changes[verdict.ref];
      const packages = c
        ? [
            ...c.changed.map((p) => `${p.name} ${p.from} → ${p.to}`),
            ...c.added.map((p) => `added ${p.name} ${p.version}`),
            ...c.removed.map((p) => `removed ${p.name} ${p.version}`),
          ]
        : [];
      summary.rebuilt.push({ ref: verdict.ref, reasons: verdict.reasons, packages });
    }
  }
  for (const { host, record } of steps) {
    if (record.status === 'failed' || record.status === 'unreachable') {
      summary.failed.push({
        host,
        step: record.step,
        status: record.status,
        ...(record.code ? { code: record.code } : {}),
        reason: firstLine(record.reason ?? ''),
      });
    } else if (record.status === 'changed' && ROLLOUT_STEPS.has(record.step)) {
      summary.rolled_out.push({ host, step: record.step, actions: record.actions.map(firstLine) });
    }
    // A check run's `promote` verdict is what would happen; only an applied run promoted anything.
    for (const p of promotionsIn(record.details)) {
      if (p.action === 'promote' && !report.check && record.status === 'changed') {
        (summary.promoted ??= []).push({ repository: p.repository, from: p.from, to: p.to, build: p.build, reason: firstLine(p.reason) });
      } else if (p.action === 'hold') {
        (summary.held ??= []).push({ repository: p.repository, stage: p.from, build: p.build, reason: firstLine(p.reason) });
      }
    }
  }
  return summary;
}

/** Whether there is anything to say: a run that rebuilt, rolled out, promoted, held back and failed nothing is silent. */
export const hasNews = (s: RunSummary): boolean =>
  s.rebuilt.length + s.rolled_out.length + s.failed.length + (s.promoted?.length ?? 0) + (s.held?.length ?? 0) > 0;

/**
 * What identifies the news, so the same news is announced once: the rebuilt references and their package changes, the
 * rollouts (durations left out), the failures by host, step and code.
 */
export function newsFingerprint(s: RunSummary): string {
  const key = {
    rebuilt: s.rebuilt.map((r) => [r.ref, r.packages]),
    rolled: s.rolled_out.map((r) => [r.host, r.step, r.actions.map((a) => a.replace(/\bin [\d.]+(ms|s|m)\b.*$/, ''))]),
    failed: s.failed.map((f) => [f.host, f.step, f.code ?? f.status]),
    promoted: (s.promoted ?? []).map((p) => [p.repository, p.to, p.build]),
    held: (s.held ?? []).map((h) => [h.repository, h.stage, h.build]),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(key)).digest('hex')}`;
}
