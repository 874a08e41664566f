// Two steps of one play build images (rebuild, then patch, or the other way round): each announces its builds in its plan and
// returns them from its apply, and neither may take the other's away. Before, --check kept only the last step's planned builds
// (so push predicted only its images), and a real rebuild after a patch dropped the patch's built images.
import { describe, expect, it } from 'vitest';
import { changed } from '../../src/model/results.js';
import { newRunState, type HostFacts } from '../../src/steps/facts.js';
import { recordFacts, withBuilt } from '../../src/runner/recordFacts.js';
import { runStep } from '../../src/runner/runStep.js';
import { pushStep } from '../../src/steps/push/push.js';
import type { BuiltImage } from '../../src/images/builtImage.js';
import type { StepHandler } from '../../src/steps/types.js';
import { FakeRegistry, fakeContext } from '../support/fakes.js';

const planned = (repository: string, registry = 'reg.test'): BuiltImage => ({
  repository,
  ref: `${registry}/${repository}:prod`,
  dateRef: `${registry}/${repository}:20261206-2300`,
  planned: true,
  sbom: '',
});

/** A building step of its own kind: it plans `repositories` and, applied, builds those of `builds` only. */
function builder(repositories: string[], builds: string[], registry: string): StepHandler<string[]> {
  return {
    kind: 'rebuild',
    plan: async () => repositories,
    changes: (plan) => plan.map((repository) => `Build ${repository}`),
    planned: (plan) => ({ built: plan.map((repository) => planned(repository, registry)) }),
    async apply(_ctx, plan) {
      const built = builds.map((repository) => ({ ...planned(repository, registry), planned: false, imageId: `sha256:${repository.length}` }));
      return { ...changed(built.map((image) => `Built ${image.repository}`)), facts: { built, builtReplacing: plan } };
    },
  };
}

describe('the builds two steps of a play hand to push', () => {
  it('a plan adds its builds to those an earlier step announced, replacing only its own repositories', () => {
    const facts: HostFacts = {};
    const run = newRunState();
    recordFacts(facts, run, { built: [planned('app/a'), planned('app/b')] });
    recordFacts(facts, run, { built: [planned('os/debian')] });
    expect(facts.built!.map((image) => image.repository)).toEqual(['app/a', 'app/b', 'os/debian']);
    recordFacts(facts, run, { built: [{ ...planned('app/b'), dateRef: 'reg.test/app/b:later' }] });
    expect(facts.built!.map((image) => `${image.repository} ${image.dateRef}`)).toEqual([
      'app/a reg.test/app/a:20261206-2300',
      'os/debian reg.test/os/debian:20261206-2300',
      'app/b reg.test/app/b:later',
    ]);
  });

  it("an apply replaces its own announced builds with what it built, drops those it did not build, and keeps the other step's", () => {
    const before = [planned('app/a'), planned('app/b'), planned('os/debian')];
    const real = { ...planned('app/a'), planned: false, imageId: 'sha256:1' };
    expect(withBuilt(before, [real], ['app/a', 'app/b'])).toEqual([planned('os/debian'), real]);
    const facts: HostFacts = { built: before };
    recordFacts(facts, newRunState(), { built: [], builtReplacing: ['os/debian'] });
    expect(facts.built).toEqual([planned('app/a'), planned('app/b')]);
  });

  it.each([true, false])('check: %s: push is handed the images of both steps', async (check) => {
    const registry = new FakeRegistry();
    const facts: HostFacts = {};
    const run = newRunState();
    const ctx = () => fakeContext({ registry, check, facts, run, host: 'build1' });
    const rebuild = builder(['app/a', 'app/b'], ['app/a'], registry.name);
    const patch = builder(['os/debian'], ['os/debian'], registry.name);
    expect((await runStep(patch, ctx(), {})).status).toBe('changed');
    expect((await runStep(rebuild, ctx(), {})).status).toBe('changed');
    // Checked, both steps' announced builds; applied, what each really built (app/b came out identical and is not pushed).
    expect(facts.built!.map((image) => image.repository).sort()).toEqual(check ? ['app/a', 'app/b', 'os/debian'] : ['app/a', 'os/debian']);
    if (check) {
      const push = await runStep(pushStep, ctx(), {});
      const said = push.status === 'changed' ? push.actions.join('\n') : JSON.stringify(push);
      for (const repository of ['app/a', 'app/b', 'os/debian']) expect(said).toContain(`${registry.name}/${repository}:prod`);
    }
  });
});
