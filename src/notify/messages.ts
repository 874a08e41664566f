// The bodies a notification is sent as, one per target type. Pure.
import type { NotifyTarget } from './targets.js';
import type { RunSummary } from './summary.js';

/** How many lines of a list a chat message shows before it says how many more (the webhook's JSON has them all). */
const SHOWN = 15;

const list = (lines: string[], indent = '  '): string[] => [
  ...lines.slice(0, SHOWN).map((l) => `${indent}${l}`),
  ...(lines.length > SHOWN ? [`${indent}… and ${lines.length - SHOWN} more`] : []),
];

/** One line that says what happened, for a title. */
export function headline(s: RunSummary): string {
  const parts = [
    s.rebuilt.length > 0 ? `rebuilt ${s.rebuilt.length} image${s.rebuilt.length === 1 ? '' : 's'}` : '',
    s.rolled_out.length > 0
      ? `rolled out on ${new Set(s.rolled_out.map((r) => r.host)).size} host${new Set(s.rolled_out.map((r) => r.host)).size === 1 ? '' : 's'}`
      : '',
    s.promoted !== undefined ? `promoted ${s.promoted.length} build${s.promoted.length === 1 ? '' : 's'}` : '',
    s.held !== undefined ? `${s.held.length} build${s.held.length === 1 ? '' : 's'} held back` : '',
    s.failed.length > 0 ? `${s.failed.length} failed` : '',
  ].filter(Boolean);
  return `freshen: ${parts.join(', ')}`;
}

/** The message as plain lines: what was rebuilt and why, what changed inside, where it rolled out, what failed and why. */
export function messageLines(s: RunSummary): string[] {
  const lines = [headline(s)];
  for (const r of s.rebuilt) {
    lines.push(`Rebuilt ${r.ref} (${r.reasons.join(', ') || 'requested'})`);
    lines.push(...list(r.packages));
  }
  for (const r of s.rolled_out) lines.push(`${r.host} ${r.step}:`, ...list(r.actions));
  for (const p of s.promoted ?? []) lines.push(`Promoted ${p.repository} from ${p.from} to ${p.to} (${p.build.slice(0, 19)}…): ${p.reason}`);
  for (const h of s.held ?? []) lines.push(`Held back ${h.repository} at ${h.stage} (${h.build.slice(0, 19)}…): ${h.reason}`);
  for (const f of s.failed) lines.push(`FAILED ${f.host} ${f.step}${f.code ? ` (${f.code})` : ''}: ${f.reason}`);
  return lines;
}

export interface NotifyRequest {
  headers: Record<string, string>;
  body: string;
}

/** The request for one target: the summary as JSON (webhook), a Slack-compatible message, or an ntfy message. */
export function notifyRequest(target: NotifyTarget, s: RunSummary): NotifyRequest {
  const auth: Record<string, string> = target.token ? { Authorization: `Bearer ${target.token}` } : {};
  switch (target.type) {
    case 'webhook':
      return {
        headers: { 'Content-Type': 'application/json', ...auth },
        body: JSON.stringify({ schema: 'freshen-notification/1', headline: headline(s), ...s }),
      };
    case 'slack':
      return { headers: { 'Content-Type': 'application/json', ...auth }, body: JSON.stringify({ text: messageLines(s).join('\n') }) };
    case 'ntfy':
      return {
        headers: {
          'Content-Type': 'text/plain; charset=utf-8',
          Title: headline(s),
          Priority: s.failed.length > 0 ? 'high' : 'default',
          Tags: s.failed.length > 0 ? 'warning' : 'package',
          ...auth,
        },
        body: messageLines(s).slice(1).join('\n'),
      };
    default: {
      const unexpected: never = target.type;
      throw new Error(`unknown notification type ${String(unexpected)}`);
    }
  }
}
