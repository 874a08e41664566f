// `freshen status`: the fleet's freshness as one value. It is shaped from a check-mode run of the playbook's read-only
// planning steps (discover, patch, pull, service, promote; see statusPlaybook) and the registry's datestamp tags, so status says exactly
// what a run would find, and writes nothing by construction. Pure: the I/O is in src/cli/statusCommand.ts.
import { leftAloneNote, parkedNote } from '../containers/managed.js';
import type { ImageDiff } from '../model/results.js';
import { outdatedCount, promotionsIn, pullFindingsIn, verdictsIn } from '../model/stepDetails.js';
import type { RunReport, StepRecord } from '../runner/report.js';

/** The builds the registry keeps of one image reference: the digest its rollout tag names, and each datestamp tag's. */
export interface RepositoryBuilds {
  prodDigest?: string;
  /** The packages prod changed against the build before it, when both recorded their package list. */
  prodChanges?: { against: string; lines: string[] };
  /** Datestamp tags, newest first, with their manifest digests and the time each tag says. */
  builds: Array<{ tag: string; digest: string; time: number }>;
  /** The digest of the SBOM attached to prod, when it has one. */
  prodSbom?: string;
}

export interface ImageStatus {
  ref: string;
  repository: string;
  stale: boolean;
  reasons: string[];
  explanations: string[];
  /** Pending package updates in prod, when the playbook's discover probes them. */
  pending_packages?: number;
  prod?: { digest: string; build?: string; age_days?: number };
  builds: Array<{ tag: string; digest: string }>;
  /** What prod changed inside against the build before it (`perl-base 5.36.0-7+deb12u3 → 5.36.0-7+deb12u4`). */
  changes?: { against: string; lines: string[] };
  /** The SBOM attached to prod, and the command that prints it. */
  sbom?: { digest: string; command: string };
}

/** A container, or a Swarm service, running a managed image. */
export interface RunningStatus {
  name: string;
  ref: string;
  digest?: string;
  /** The datestamp tag of the build it runs, when the registry still has one for that digest. */
  build?: string;
  /** True when it does not run what the rollout tag names: the next run replaces it. */
  behind: boolean;
}

export interface HostStatus {
  host: string;
  state: 'ok' | 'unreachable' | 'failed';
  reason?: string;
  containers: RunningStatus[];
  services: RunningStatus[];
  /** What a run would leave alone or settle, as the steps say it (unmanaged containers, parked leftovers). */
  notes: string[];
}

/** One repository's stage (the `stages` variable): the build it runs, since when, and whether the next stage gets it. */
export interface StageStatus {
  repository: string;
  stage: string;
  next: string;
  /** The build the stage's tag names, and the one the next stage's tag names. */
  build: string;
  next_build?: string;
  /** Since when every host of the stage runs the build (ISO 8601): the latest of their adoptions. */
  since?: string;
  /** promote's verdict: promote, wait (until `eligible_at` when only the soak stands in the way), hold, none. */
  action: 'promote' | 'wait' | 'hold' | 'none';
  reason: string;
  eligible_at?: string;
}

export interface FleetStatus {
  generated_at: string;
  images: ImageStatus[];
  hosts: HostStatus[];
  /** Present when the playbook promotes between stages. */
  stages?: StageStatus[];
}

const DAY_MS = 86_400_000;

/** Every step record of the report, with its host. */
const records = (report: RunReport): Array<{ host: string; record: StepRecord }> =>
  report.plays.flatMap((play) => Object.entries(play.hosts).flatMap(([host, steps]) => steps.map((record) => ({ host, record }))));

/** The image references a status run saw: what discover manages and what containers and services run. */
export function referencesOf(report: RunReport): string[] {
  const refs = new Set<string>();
  for (const { record } of records(report)) {
    for (const image of verdictsIn(record.details)) refs.add(image.ref);
    for (const diff of record.diff ?? []) refs.add(diff.ref);
  }
  return [...refs].sort();
}

function running(diff: ImageDiff, builds: RepositoryBuilds | undefined, service: boolean): RunningStatus {
  const name = service ? (diff.container ?? diff.ref).replace(/^service /, '') : (diff.container ?? diff.ref);
  const build = diff.before !== undefined ? builds?.builds.find((b) => b.digest === diff.before)?.tag : undefined;
  return { name, ref: diff.ref, ...(diff.before !== undefined ? { digest: diff.before } : {}), ...(build ? { build } : {}), behind: diff.replace };
}

/** The fleet's status from a status run's report, the registry's builds per reference, and the time now. */
export function fleetStatus(report: RunReport, builds: ReadonlyMap<string, RepositoryBuilds>, now: number): FleetStatus {
  const images = new Map<string, ImageStatus>();
  const hosts = new Map<string, HostStatus>();
  const hostOf = (host: string): HostStatus => {
    let h = hosts.get(host);
    if (!h) hosts.set(host, (h = { host, state: 'ok', containers: [], services: [], notes: [] }));
    return h;
  };
  const stages: StageStatus[] = [];
  for (const { host, record } of records(report)) {
    // A host that could not be asked, whatever its step: a builder whose registry is down is as much news as a web host.
    if (record.status === 'unreachable' || record.status === 'failed') {
      const h = hostOf(host);
      h.state = h.state === 'unreachable' ? h.state : record.status;
      h.reason ??= `${record.step}: ${record.reason ?? record.status}`;
      continue;
    }
    // discover judges the built images, patch the patched ones: both list verdicts of the same shape.
    if (record.step === 'discover' || record.step === 'patch') {
      for (const verdict of verdictsIn(record.details)) {
        const outdated = outdatedCount(verdict);
        const known = builds.get(verdict.ref);
        const prodBuild = known?.prodDigest !== undefined ? known.builds.find((b) => b.digest === known.prodDigest) : undefined;
        images.set(verdict.ref, {
          ref: verdict.ref,
          repository: verdict.repository,
          stale: verdict.stale,
          reasons: verdict.reasons,
          explanations: verdict.explanations,
          ...(outdated !== undefined ? { pending_packages: outdated } : {}),
          ...(known?.prodDigest !== undefined
            ? {
                prod: {
                  digest: known.prodDigest,
                  ...(prodBuild ? { build: prodBuild.tag, age_days: Math.max(0, Math.floor((now - prodBuild.time) / DAY_MS)) } : {}),
                },
              }
            : {}),
          builds: (known?.builds ?? []).map(({ tag, digest }) => ({ tag, digest })),
          ...(known?.prodChanges !== undefined ? { changes: known.prodChanges } : {}),
          ...(known?.prodSbom !== undefined ? { sbom: { digest: known.prodSbom, command: `freshen sbom ${verdict.ref}` } } : {}),
        });
      }
      continue;
    }
    if (record.step === 'promote') {
      for (const p of promotionsIn(record.details)) {
        const since =
          p.hosts.length > 0 && p.hosts.every((h) => h.since !== undefined)
            ? p.hosts
                .map((h) => h.since!)
                .sort()
                .at(-1)
            : undefined;
        stages.push({
          repository: p.repository,
          stage: p.from,
          next: p.to,
          build: p.build,
          ...(p.next_build !== undefined ? { next_build: p.next_build } : {}),
          ...(since !== undefined ? { since } : {}),
          action: p.action,
          reason: p.reason,
          ...(p.eligible_at !== undefined ? { eligible_at: p.eligible_at } : {}),
        });
      }
      continue;
    }
    const h = hostOf(host);
    const service = record.step === 'service';
    for (const diff of record.diff ?? []) (service ? h.services : h.containers).push(running(diff, builds.get(diff.ref), service));
    const found = pullFindingsIn(record.details);
    for (const c of found.left_alone ?? []) h.notes.push(leftAloneNote(c.name, c.reason));
    for (const name of found.parked ?? []) h.notes.push(parkedNote(name));
    for (const c of found.unmanaged ?? []) h.notes.push(`${c.name} runs ${c.image}, not managed (not the rollout tag, or pinned by digest).`);
  }
  return {
    generated_at: new Date(now).toISOString(),
    images: [...images.values()],
    hosts: [...hosts.values()],
    ...(stages.length > 0 ? { stages } : {}),
  };
}
