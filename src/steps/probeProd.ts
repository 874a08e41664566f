import { UnreachableError, errorMessage } from '../adapters/errors.js';
import type { PackageProbeFacts } from '../images/managedImage.js';
import { mapLimit } from '../shared/mapLimit.js';
import type { StepContext } from './types.js';
import type { ProbeOptions } from './imageOptions.js';
import { probePackages } from '../images/probe.js';

/** The label a Dockerfile sets to pick, by name, one of the probes the playbook defines in `probe.by_label`. */
export const LABEL_PROBE = 'org.freshen.probe';

/** A prod image to probe, as the registry serves it. */
export interface ProbeTarget {
  repository: string;
  /** `registry/repository:tag`. */
  ref: string;
  manifestDigest: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * The custom probe for a repository: its own `command` entry, else the `by_label` probe the image's label names, else the `*`
 * entry. The label only names a probe: its text is never run, since a label is inherited from any base image and the probe
 * runs as root, with the host's network.
 */
export function customProbe(
  repository: string,
  labels: Readonly<Record<string, string>>,
  options: Pick<ProbeOptions, 'commands' | 'byLabel'>,
): { command?: string } | { problem: string } {
  const own = options.commands[repository];
  if (own !== undefined) return { command: own };
  const name = labels[LABEL_PROBE];
  if (name !== undefined) {
    const named = Object.hasOwn(options.byLabel, name) ? options.byLabel[name] : undefined;
    if (named !== undefined) return { command: named };
    const known = Object.keys(options.byLabel);
    return {
      problem: `its label ${LABEL_PROBE} names the probe "${name.slice(0, 60)}", which discover's probe.by_label does not define (${known.length > 0 ? `it has ${known.join(', ')}` : 'it defines none'}); a label only picks a probe the playbook defines`,
    };
  }
  const fallback = options.commands['*'];
  return fallback !== undefined ? { command: fallback } : {};
}

/**
 * Pulls each prod image by digest on the build host (no local tag moves, so check mode changes nothing a later step reads) and
 * probes it; a probe that cannot run becomes a finding that says why, never an error of the step.
 */
export async function probeProdImages(ctx: StepContext, targets: readonly ProbeTarget[], options: ProbeOptions): Promise<Map<string, PackageProbeFacts>> {
  if (targets.length === 0) return new Map();
  const engine = await ctx.connections.engine();
  const auth = await ctx.connections.engineAuth();
  const results = await mapLimit(targets, 2, async (target): Promise<PackageProbeFacts> => {
    const pinned = `${target.ref.slice(0, target.ref.lastIndexOf(':'))}@${target.manifestDigest}`;
    try {
      ctx.progress(`Probing ${target.ref} for package updates`);
      await engine.pullImage(pinned, auth, ctx.signal);
      const custom = customProbe(target.repository, target.labels, options);
      if ('problem' in custom) return { ok: false, problem: custom.problem };
      const { command } = custom;
      return await probePackages(
        engine,
        pinned,
        { network: options.network, timeoutMs: options.timeoutMs, refresh: options.refresh, ...(command !== undefined ? { command } : {}) },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof UnreachableError) throw error;
      return { ok: false, problem: errorMessage(error) };
    }
  });
  return new Map(targets.map((t, i) => [t.repository, results[i]!]));
}
