import { errorMessage } from '../../adapters/errors.js';
import { shownDigest } from '../../images/imageSentences.js';
import { packagesChangedNote } from '../../images/imageSentences.js';
import { changed, failed, ok } from '../../model/results.js';
import type { RebaseVerdictDetails } from '../../model/stepDetails.js';
import { layerTable } from '../../rebase/layerTable.js';
import { formatBytes } from '../../shared/bytes.js';
import { attachSbom, imageSbom } from '../imageSbom.js';
import type { StepHandler } from '../types.js';
import { writeRebased } from './check.js';
import type { RebaseOptions } from './rebaseOptions.js';
import { markRebased, planRebase, type PlannedRebase, type RebasePlan } from './planRebase.js';

const plannedSentence = (r: PlannedRebase): string =>
  `Rebase ${r.ref} (${shownDigest(r.prodDigest)}) onto ${r.base.ref} (${shownDigest(r.check.newBaseDigest)}): ${layerCounts(r)}, as ${r.dateRef}`;

const layerCounts = (r: PlannedRebase): string =>
  `its ${r.check.ownLayers.length} own layer${r.check.ownLayers.length === 1 ? '' : 's'} on the new base's ${r.check.newBaseLayers.length}, in place of the old base's ${r.check.seam.baseLayers}`;

const verdictDetails = (plan: RebasePlan, done: ReadonlyMap<string, string> = new Map()): RebaseVerdictDetails[] =>
  plan.verdicts.map((v) => {
    const r = plan.rebases.find((p) => p.repository === v.repository);
    if (r === undefined) return v;
    const to = done.get(r.repository);
    return {
      ...v,
      base: r.base.ref,
      from: r.prodDigest,
      date_ref: r.dateRef,
      ...(to !== undefined ? { to } : {}),
      layers: { old_base: r.check.seam.baseLayers, new_base: r.check.newBaseLayers.length, own: r.check.ownLayers.length },
      ...(r.changes !== undefined ? { changes: r.changes } : {}),
    };
  });

const refusals = (plan: RebasePlan): string[] => plan.verdicts.filter((v) => v.action === 'refused').map((v) => `Not rebased ${v.repository}: ${v.reason}`);

/**
 * Moves images whose only staleness is their final base onto the new base, in the registry alone: a new config and manifest
 * over the same layer blobs (the new base's mounted), tagged with a datestamp and the rollout tag, with an SBOM of the new
 * base's packages. What is refused stays stale, so a rebuild later in the play builds it.
 */
export const rebaseStep: StepHandler<RebasePlan, RebaseOptions> = {
  kind: 'rebase',

  plan: (ctx, options) => planRebase(ctx, options),

  changes: (plan) => plan.rebases.map(plannedSentence),

  notes: (plan) => refusals(plan),

  details: (plan) => ({ rebases: verdictDetails(plan) }),

  fileDiffs: (plan) =>
    plan.rebases.map((r) => ({
      file: r.ref,
      lines: layerTable({
        ref: r.ref,
        dateRef: r.dateRef,
        base: r.base.ref,
        oldBaseLayers: r.check.oldBaseLayers,
        newBaseLayers: r.check.newBaseLayers,
        ownLayers: r.check.ownLayers,
        ownHistory: r.check.seam.ownHistory,
      }),
    })),

  // Later steps plan on the rebased images: a rebuild skips them, and a check run's pulls expect the rollout tag to move.
  planned: (plan, check) => ({
    ...(plan.discovered !== undefined ? { images: markRebased(plan.discovered, new Set(plan.rebases.map((r) => r.repository))) } : {}),
    ...(check ? { pushes: plan.rebases.flatMap((r) => [r.ref, r.dateRef]) } : {}),
  }),

  async apply(ctx, plan) {
    const registry = ctx.connections.registry();
    const actions: string[] = [];
    const notes = refusals(plan);
    const failures: string[] = [];
    const done = new Map<string, string>();
    for (const r of plan.rebases) {
      if (ctx.signal.aborted) break;
      ctx.progress(`Rebasing ${r.ref} onto ${r.base.ref}`);
      try {
        // Written only over what was judged: either tag moving since the plan leaves the image for the next run.
        const [prodNow, baseNow] = await Promise.all([
          registry.manifestDigest(r.repository, r.tag),
          registry.manifestDigest(r.base.repository, r.base.reference),
        ]);
        if (prodNow !== r.prodDigest || baseNow !== r.check.newBaseDigest) {
          failures.push(`${r.ref}: ${prodNow !== r.prodDigest ? r.ref : r.base.ref} moved since the plan; not rebased, run again`);
          continue;
        }
        const created = new Date(ctx.now());
        const written = await writeRebased(registry, r.check, {
          repository: r.repository,
          tags: [r.dateTag, r.tag],
          oldBaseId: r.base.oldId,
          baseRepository: r.base.repository,
          baseName: r.base.ref,
          created,
          labels: r.labels,
        });
        ctx.run.pushes.pushed(r.dateRef, written.digest);
        ctx.run.pushes.pushed(r.ref, written.digest);
        done.set(r.repository, written.digest);
        actions.push(
          `Rebased ${r.ref} onto ${r.base.ref} (${shownDigest(r.check.newBaseDigest)}): ${layerCounts(r)}, as ${r.dateRef} (manifest ${shownDigest(written.digest)}); uploaded ${formatBytes(written.bytesUploaded)}, no layer`,
        );
        if (written.followed.length > 0) notes.push(`${r.ref} follows the new base in what it inherited: ${written.followed.join(', ')}`);
        if (r.changes !== undefined) notes.push(packagesChangedNote(r.ref, r.changes));
        const packages = r.check.packages.newBase;
        if (packages.packages !== undefined && packages.database !== undefined) {
          const sbom = imageSbom(r.ref, written.configDigest, { ...packages, packages: packages.packages, database: packages.database }, created);
          actions.push(await attachSbom(registry, r.repository, written.digest, sbom, created));
        } else
          notes.push(
            `${r.ref}: no SBOM, its base has ${packages.database === 'rpm' ? "rpm's database, which is not read from layers" : 'no package database'}`,
          );
      } catch (error) {
        failures.push(`Rebasing ${r.ref} failed: ${errorMessage(error)}`);
      }
    }
    // Only what was written is fresh: an image whose rebase failed stays stale, for a rebuild later in the play.
    const facts = plan.discovered !== undefined ? { facts: { images: markRebased(plan.discovered, new Set(done.keys())) } } : {};
    const details = { details: { rebases: verdictDetails(plan, done) } };
    if (failures.length > 0) return { ...failed(failures.join('\n'), 'rebase-failed', actions, notes), ...details, ...facts };
    return { ...(actions.length > 0 ? changed(actions, notes) : ok(notes)), ...details, ...facts };
  },
};
