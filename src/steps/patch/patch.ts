import { UnreachableError, errorMessage } from '../../adapters/errors.js';
import { LocalTagIndex } from '../../images/localTagIndex.js';
import { decodePackageList, LABEL_PACKAGE_LIST } from '../../images/packages.js';
import { LABEL_PATCH_UPSTREAM, patchVerdict, type PatchReason } from '../../images/patch.js';
import { LABEL_BASE_DIGEST, imageCreated } from '../../images/provenance.js';
import { formatImageRef, isSha256Digest, parseImageRef } from '../../model/imageRef.js';
import { packagesChangedNote, shownDigest } from '../../images/imageSentences.js';
import { formatBytes } from '../../shared/bytes.js';
import type { PackageProbeFacts } from '../../images/managedImage.js';
import { formatDuration } from '../../model/duration.js';
import { changed, failed, ok } from '../../model/results.js';
import type { BuiltImage } from '../../images/builtImage.js';
import { chooseDatestampTag } from '../datestampTags.js';
import { probeProdImages } from '../probeProd.js';
import type { StepContext, StepHandler } from '../types.js';
import type { PatchOptions } from './patchOptions.js';
import { patchOne, type PatchJob } from './patchOne.js';
import { UpstreamRegistries } from './upstream.js';

/** One upstream image as the plan found it. */
export interface PlannedPatch extends PatchJob {
  stale: boolean;
  reasons: PatchReason[];
  explanations: string[];
  /** The upstream's image ID now. */
  upstreamId: string;
  /** The datestamp reference a patch made now would get. */
  dateRef: string;
  /** When the upstream change the cooldown holds back becomes a reason to patch (ms since the epoch). */
  waitingUntil?: number;
  /** What the package probe found in the current patch. */
  probe?: PackageProbeFacts;
}

export interface PatchPlan {
  options: PatchOptions;
  patches: PlannedPatch[];
  notes: string[];
}

const verdictLine = (p: PlannedPatch): string => (p.stale ? `${p.to}: stale (${p.reasons.join(', ')}): ${p.explanations.join('; ')}` : `${p.to}: fresh`);

/** Patches upstream images in place: the distribution's upgrade on the original, one layer, the original's config kept. */
export const patchStep: StepHandler<PatchPlan, PatchOptions> = {
  kind: 'patch',

  async plan(ctx: StepContext, options: PatchOptions): Promise<PatchPlan> {
    const registry = ctx.connections.registry();
    const upstreams = new UpstreamRegistries(ctx.connections);
    const now = new Date(ctx.now());
    const patches: PlannedPatch[] = [];
    const notes: string[] = [];
    const missing: string[] = [];
    for (const image of options.images) {
      const ref = `${registry.name}/${image.to}:${options.tag}`;
      const upstream = await upstreams.lookUp(image.from);
      if (upstream === undefined) {
        missing.push(image.from);
        continue;
      }
      const prod = await registry.imageConfig(image.to, options.tag);
      const labels = prod?.config.config?.Labels ?? undefined;
      const probed =
        prod !== undefined && options.probe
          ? (await probeProdImages(ctx, [{ repository: image.to, ref, manifestDigest: prod.manifestDigest, labels: labels ?? {} }], options.probe)).get(
              image.to,
            )
          : undefined;
      const verdict = patchVerdict({
        ref,
        upstreamRef: image.from,
        upstreamId: upstream.id,
        ...(prod !== undefined ? { prodLabels: labels ?? {}, created: imageCreated(prod.config) } : {}),
        ...(probed ? { packages: probed } : {}),
        ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
        ...(options.cooldownMs !== undefined ? { cooldownMs: options.cooldownMs } : {}),
        ...(upstream.created !== undefined ? { upstreamCreated: upstream.created } : {}),
        now,
      });
      notes.push(...verdict.notes.map((n) => `${image.to}: ${n}`));
      // A patch made for another reason while the new upstream cools down is made from the upstream prod was patched from.
      const held = verdict.waitingUntil !== undefined && verdict.stale ? heldUpstream(image.from, labels) : undefined;
      if (verdict.waitingUntil !== undefined && verdict.stale && held === undefined) {
        notes.push(
          `${image.to}: not patched for its other reasons either while the new upstream cools down: prod records no upstream digest (${LABEL_BASE_DIGEST}) to patch from`,
        );
      }
      const stale = verdict.stale && (verdict.waitingUntil === undefined || held !== undefined);
      const listed = labels?.[LABEL_PACKAGE_LIST] !== undefined ? decodePackageList(labels[LABEL_PACKAGE_LIST]) : undefined;
      const tag = stale ? await chooseDatestampTag({ registry, repository: image.to, when: now, format: options.dateFormat }) : '';
      patches.push({
        ...image,
        ...(held === undefined ? {} : { from: held.ref }),
        ref,
        ...(listed ? { prodPackageList: listed } : {}),
        ...(labels?.[LABEL_PATCH_UPSTREAM] ? { prodUpstreamId: labels[LABEL_PATCH_UPSTREAM] } : {}),
        stale,
        reasons: stale ? verdict.reasons : [],
        explanations: stale ? verdict.explanations : [],
        ...(verdict.waitingUntil === undefined ? {} : { waitingUntil: verdict.waitingUntil }),
        upstreamId: held?.id ?? upstream.id,
        dateRef: `${registry.name}/${image.to}:${tag}`,
        ...(probed ? { probe: probed } : {}),
      });
    }
    // In check mode too: a run that cannot find its upstream must not look fine.
    if (missing.length > 0) throw new Error(missing.map((m) => `${m} is not in its registry: nothing to patch from`).join('; '));
    return { options, patches, notes };
  },

  changes: (plan) =>
    plan.patches
      .filter((p) => p.stale)
      .map((p) => `Patch ${p.ref} and ${p.dateRef} from ${p.from} (${shownDigest(p.upstreamId)}) because ${p.explanations.join('; ')}`),

  notes: (plan) => [...plan.patches.map(verdictLine), ...plan.notes],

  // The shape of discover's verdicts (status reads both), plus where each patch comes from.
  details: (plan) => ({
    images: plan.patches.map((p) => ({
      repository: p.to,
      ref: p.ref,
      from: p.from,
      upstream: p.upstreamId,
      stale: p.stale,
      reasons: p.reasons,
      explanations: p.explanations,
      ...(p.waitingUntil === undefined ? {} : { cooldown_until: new Date(p.waitingUntil).toISOString() }),
      ...(p.probe?.ok ? { packages: { outdated: p.probe.outdated.length } } : p.probe ? { packages: { problem: p.probe.problem } } : {}),
    })),
  }),

  // `sbom: ''`: a patch always has a package database, so push will attach an SBOM (its text is not known yet).
  planned: (plan) => ({
    built: plan.patches.filter((p) => p.stale).map((p) => ({ repository: p.to, ref: p.ref, dateRef: p.dateRef, planned: true, sbom: '' })),
  }),

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const registry = ctx.connections.registry();
    const upstreams = new UpstreamRegistries(ctx.connections);
    const localTags = new LocalTagIndex(plan.patches.some((p) => p.stale) ? await engine.listImages() : []);
    const built: BuiltImage[] = [];
    const actions: string[] = [];
    const notes: string[] = [...plan.notes];
    const failures: string[] = [];
    for (const job of plan.patches.filter((p) => p.stale)) {
      const timeout = AbortSignal.timeout(plan.options.timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      ctx.progress(`Patching ${job.ref} from ${job.from} (${job.reasons.join(', ')})`);
      let result;
      try {
        result = await patchOne(job, { engine, registry, upstreams, localTags, options: plan.options, signal, progress: ctx.progress });
      } catch (error) {
        if (error instanceof UnreachableError) throw error;
        const reason = timeout.aborted ? `timed out after ${formatDuration(plan.options.timeoutMs)}` : ctx.signal.aborted ? 'interrupted' : errorMessage(error);
        result = { ok: false as const, reason };
      }
      if (!result.ok) {
        failures.push(`Patching ${job.ref} failed: ${result.reason}`);
        continue;
      }
      if (result.identical) {
        notes.push(`${job.ref}: patched again, the same packages as prod on the same upstream; not pushed`);
        continue;
      }
      actions.push(
        `Patched ${job.ref} (${shownDigest(result.imageId)}, also ${result.dateRef.slice(result.dateRef.lastIndexOf(':'))}) from ${job.from} (${shownDigest(result.upstreamId)}): one layer of ${formatBytes(result.layerBytes)} because ${job.explanations.join('; ')}`,
      );
      notes.push(packagesChangedNote(`${job.ref} against ${job.from}`, result.changes));
      built.push({
        repository: job.to,
        ref: job.ref,
        dateRef: result.dateRef,
        imageId: result.imageId,
        planned: false,
        ...(result.sbom ? { sbom: result.sbom } : {}),
      });
    }
    // In place of this step's announced patches (those that failed or came out identical are gone); a rebuild's stay.
    const facts = { built, builtReplacing: plan.patches.filter((p) => p.stale).map((p) => p.to) };
    if (failures.length > 0) return { ...failed(failures.join('\n\n'), 'patch-failed', actions, notes), facts };
    return { ...(actions.length === 0 ? ok(notes) : changed(actions, notes)), facts };
  },
};

/**
 * The upstream prod was patched from, by digest (`NAME@sha256:…` from its `org.opencontainers.image.base.digest`) and image
 * ID (`org.freshen.patch.upstream`); undefined when prod does not record both.
 */
function heldUpstream(from: string, labels: Readonly<Record<string, string>> | undefined): { ref: string; id: string } | undefined {
  const digest = labels?.[LABEL_BASE_DIGEST];
  const id = labels?.[LABEL_PATCH_UPSTREAM];
  if (digest === undefined || id === undefined || !isSha256Digest(digest) || !isSha256Digest(id)) return undefined;
  const { registry, repository } = parseImageRef(from);
  return { ref: formatImageRef({ registry, repository, digest }), id };
}
