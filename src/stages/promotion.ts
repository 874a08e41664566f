import { formatSpan } from '../model/duration.js';
import type { StageRecord } from './stageRecord.js';

// Whether a build moves from one stage to the next (canary → prod): it has run on every host of the stage for the soak time,
// runs there healthy now, and no host of the stage rolled it back. A pure decision that returns its reason with its verdict,
// so `--check`, the report, status and notifications say the same.

/** What the next stage's tag should do with the build the previous stage runs. */
export type PromotionVerdict =
  | { action: 'promote'; reason: string }
  /** Not yet: `until` when time alone stands in the way (the soak), else undefined (a host must adopt it or recover). */
  | { action: 'wait'; reason: string; until?: number }
  /** Never: a host of the stage rolled the build back. */
  | { action: 'hold'; reason: string }
  /** Nothing to promote: the stage's tag names nothing, or the next stage has the build already. */
  | { action: 'none'; reason: string };

/** What one stage host runs now, of the repository's containers. */
export interface HostNow {
  /** The build its containers of the repository run; undefined when none runs or they run different builds. */
  build?: string;
  healthy: boolean;
}

export interface PromotionInput {
  stage: string;
  /** The hosts of the stage (the group whose rollout tag is `stage`). */
  hosts: readonly string[];
  /** The build the stage's tag names. */
  build: string | undefined;
  /** The build the next stage's tag names. */
  nextBuild: string | undefined;
  /** Every stage record of `build` (other stages' and other builds' are ignored). */
  records: readonly StageRecord[];
  /** What each stage host runs now; a host missing here could not be asked. */
  now: ReadonlyMap<string, HostNow>;
  soakMs: number;
  /** The decision's clock (ms since the epoch). */
  at: number;
}

const list = (hosts: readonly string[]): string => hosts.join(', ');

export function promotionVerdict(input: PromotionInput): PromotionVerdict {
  const { stage, hosts, build } = input;
  if (build === undefined) return { action: 'none', reason: `the ${stage} tag names no build` };
  if (input.nextBuild === build) return { action: 'none', reason: `the next stage runs this build already` };
  if (hosts.length === 0) return { action: 'wait', reason: `the ${stage} stage has no hosts to soak it on` };
  const own = input.records.filter((r) => r.stage === stage && r.build === build);
  const rolledBack = own.filter((r) => r.outcome === 'rolled-back');
  if (rolledBack.length > 0) {
    return { action: 'hold', reason: `rolled back on ${list([...new Set(rolledBack.map((r) => r.host))].sort())}: never promoted` };
  }
  // The first adoption of each host: a rerun that finds the build in place does not restart its soak.
  const adopted = new Map<string, number>();
  for (const r of own) if (r.outcome === 'adopted') adopted.set(r.host, Math.min(r.at, adopted.get(r.host) ?? Infinity));
  const notAdopted = hosts.filter((h) => !adopted.has(h));
  if (notAdopted.length > 0) return { action: 'wait', reason: `not rolled out on ${list(notAdopted)} yet` };
  const silent = hosts.filter((h) => !input.now.has(h));
  if (silent.length > 0) return { action: 'wait', reason: `${list(silent)} could not be asked what runs there` };
  const other = hosts.filter((h) => input.now.get(h)!.build !== build);
  if (other.length > 0) return { action: 'wait', reason: `${list(other)} no longer run${other.length === 1 ? 's' : ''} this build` };
  const unhealthy = hosts.filter((h) => !input.now.get(h)!.healthy);
  if (unhealthy.length > 0) return { action: 'wait', reason: `unhealthy on ${list(unhealthy)}` };
  const last = Math.max(...hosts.map((h) => adopted.get(h)!));
  const until = last + input.soakMs;
  if (input.at < until) {
    return { action: 'wait', reason: `soaking on ${stage} until ${new Date(until).toISOString()} (${formatSpan(until - input.at)} to go)`, until };
  }
  return {
    action: 'promote',
    reason: `ran on every ${stage} host (${list(hosts)}) for ${formatSpan(input.at - last)} or more, healthy, never rolled back`,
  };
}
