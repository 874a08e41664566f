import { notifiedState, sendNotification } from '../adapters/notifySend.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import { notifyRequest } from '../notify/messages.js';
import { hasNews, newsFingerprint, runSummary } from '../notify/summary.js';
import { playNotifyTargets } from '../notify/targets.js';
import type { RunReport } from '../runner/report.js';
import { runSecrets } from '../shared/secretText.js';

/** What became of one target's notification. */
export interface NotificationOutcome {
  target: string;
  status: 'sent' | 'skipped' | 'failed';
  reason?: string;
}

/**
 * After a run (never a check run): sends the summary of the plays that carry `notify` to their targets, once per piece of
 * news per target. A notification that fails is reported, never fails the run.
 */
export async function notifyAfterRun(
  playbook: Playbook,
  inventory: Inventory,
  extraVars: Record<string, unknown>,
  report: RunReport,
): Promise<NotificationOutcome[]> {
  const plays = playbook.plays.filter((play) => (play.notify ?? []).length > 0);
  if (plays.length === 0 || report.check) return [];
  const { targets, problems } = playNotifyTargets(plays, inventory.groups.get('all')?.vars ?? {}, extraVars, process.env);
  const outcomes: NotificationOutcome[] = problems.map((p) => ({ target: p.target, status: 'failed', reason: p.message }));
  for (const target of targets) {
    runSecrets.add(target.url);
    runSecrets.add(target.token);
  }
  // Every body goes through the run's secret scrubbing: a reason quoting a peer might carry a credential.
  const summary = runSecrets.redactDeep(runSummary(report, new Set(plays.map((p) => p.name))));
  if (!hasNews(summary)) return [...outcomes, ...targets.map((t) => ({ target: t.name, status: 'skipped' as const, reason: 'nothing new' }))];
  const fingerprint = newsFingerprint(summary);
  const state = await notifiedState();
  for (const target of targets) {
    if (state.announced(target, fingerprint)) {
      outcomes.push({ target: target.name, status: 'skipped', reason: 'already announced' });
      continue;
    }
    const failure = await sendNotification(target, notifyRequest(target, summary));
    if (failure !== undefined) {
      outcomes.push({ target: target.name, status: 'failed', reason: failure });
      continue;
    }
    await state.record(target, fingerprint).catch(() => undefined);
    outcomes.push({ target: target.name, status: 'sent' });
  }
  return outcomes;
}
