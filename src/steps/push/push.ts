import type { RegistryClient } from '../../adapters/types.js';
import { errorMessage } from '../../adapters/errors.js';
import { attachSbom } from '../imageSbom.js';
import { parseImageRef } from '../../model/imageRef.js';
import { changed, failed, type StepResult } from '../../model/results.js';
import { shownDigest } from '../../images/imageSentences.js';
import type { StepContext, StepHandler } from '../types.js';

/** One image push would publish: the references the registry does not serve yet. */
export interface PlannedPush {
  repository: string;
  /** Undefined in check mode, when rebuild only planned the image. */
  imageId?: string;
  refs: string[];
  /** The SBOM to attach to the pushed image (CycloneDX JSON), when the build made one. */
  sbom?: string;
}

export interface PushPlan {
  pushes: PlannedPush[];
  notes: string[];
  /** Why there is nothing to push at all (reported `skipped`). */
  skip?: string;
}

/** Pushes what rebuild built (both tags) and confirms the registry now serves exactly those images. */
export const pushStep: StepHandler<PushPlan> = {
  kind: 'push',

  async plan(ctx: StepContext): Promise<PushPlan> {
    const built = ctx.facts.built ?? [];
    if (built.length === 0) return { pushes: [], notes: [], skip: 'nothing was built on this host' };
    const registry = ctx.connections.registry();
    const pushes: PlannedPush[] = [];
    const notes: string[] = [];
    for (const image of built) {
      const refs = [image.ref, image.dateRef];
      const missing = image.imageId === undefined ? refs : await refsNotServing(registry, refs, image.imageId);
      if (missing.length === 0) notes.push(`${image.ref}: the registry already serves ${shownDigest(image.imageId!)}`);
      else
        pushes.push({
          repository: image.repository,
          ...(image.imageId ? { imageId: image.imageId } : {}),
          refs: missing,
          ...(image.sbom !== undefined ? { sbom: image.sbom } : {}),
        });
    }
    return { pushes, notes };
  },

  changes: (plan) =>
    plan.pushes.map((p) => `Push ${p.refs.join(' and ')}${p.imageId ? ` (${shownDigest(p.imageId)})` : ''}${p.sbom !== undefined ? ' with its SBOM' : ''}`),

  notes: (plan) => plan.notes,

  // Only a check run announces its pushes as planned: a real run records what the registry then serves.
  planned: (plan, check) => (check ? { pushes: plan.pushes.flatMap((p) => p.refs) } : {}),

  skipped: (plan) => plan.skip,

  async apply(ctx, plan): Promise<StepResult> {
    const engine = await ctx.connections.engine();
    const registry = ctx.connections.registry();
    const auth = await ctx.connections.engineAuth();
    const actions: string[] = [];
    const failures: string[] = [];
    for (const push of plan.pushes) {
      if (push.imageId === undefined) {
        failures.push(`${push.refs.join(' and ')}: no local image was built to push`);
        continue;
      }
      const problems: string[] = [];
      await ctx.run.pushes.upload(async () => {
        for (const ref of push.refs) {
          ctx.progress(`Pushing ${ref}`);
          const outcome = await engine.pushImage(ref, auth, ctx.signal);
          if (outcome.error) problems.push(`pushing ${ref} failed: ${outcome.error}`);
        }
      });
      if (problems.length === 0) {
        for (const ref of push.refs) {
          const served = await servedImage(registry, ref);
          if (served?.configDigest === push.imageId) ctx.run.pushes.pushed(ref, served.manifestDigest);
          else
            problems.push(
              `after pushing, the registry serves ${served ? shownDigest(served.configDigest) : 'nothing'} as ${ref}, not ${shownDigest(push.imageId)}`,
            );
        }
      }
      if (problems.length > 0) failures.push(...problems);
      else {
        const digest = ctx.run.pushes.digestOf(push.refs[0]!);
        actions.push(`Pushed ${push.refs.join(' and ')} (${shownDigest(push.imageId)}${digest ? `, manifest ${shownDigest(digest)}` : ''})`);
        if (push.sbom !== undefined && digest !== undefined) {
          ctx.progress(`Attaching the SBOM of ${push.refs[0]}`);
          try {
            actions.push(await attachSbom(registry, push.repository, digest, push.sbom, new Date()));
          } catch (error) {
            failures.push(`${push.refs[0]}: attaching its SBOM failed: ${errorMessage(error)}`);
          }
        }
      }
    }
    if (failures.length > 0) return failed(failures.join('\n'), 'push-failed', actions, plan.notes);
    return changed(actions, plan.notes);
  },
};

async function servedImage(registry: RegistryClient, ref: string) {
  const parsed = parseImageRef(ref);
  return registry.imageConfig(parsed.repository, parsed.tag ?? 'latest');
}

/** The references the registry does not (yet) serve as `imageId`. */
async function refsNotServing(registry: RegistryClient, refs: string[], imageId: string): Promise<string[]> {
  const served = await Promise.all(refs.map((ref) => servedImage(registry, ref)));
  return refs.filter((_, i) => served[i]?.configDigest !== imageId);
}
