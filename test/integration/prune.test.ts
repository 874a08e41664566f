// prune on web3: four builds of t-prune/app pulled there; a managed container runs the newest, a stopped container the
// oldest. Only t-prune/* is in scope, so other tests' images on web3 are never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { pruneStep } from '../../src/steps/prune/prune.js';
import { REGISTRY, buildBusyboxImage, labDocker, pushImage, removeContainers, untagRepositories } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';
import { imageId, pullOn } from './steps-rollout.helpers.js';

const REPO = 't-prune/app';
const TAGS = ['20261101-0300', '20261102-0300', '20261103-0300', '20261104-0300'];
const OPTIONS = { repositories: ['t-prune/*'] };
const CMD = ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"];
const ids: Record<string, string> = {};
const ref = (tag: string): string => `${REGISTRY}/${REPO}:${tag}`;
const short = (id: string): string => id.slice(7, 19);

async function prune(check: boolean): Promise<StepResult> {
  const { ctx, close } = makeStepContext({ host: labHost('web3'), check });
  try {
    return await runStep(pruneStep, ctx, OPTIONS);
  } finally {
    await close();
  }
}

async function cleanUp(): Promise<void> {
  await removeContainers(labDocker('web3'), 't-prune-');
  for (const host of ['build1', 'web3'] as const) {
    for (const tag of [...TAGS, 'prod'])
      await labDocker(host)
        .getImage(ref(tag))
        .remove({ force: true })
        .catch(() => undefined);
  }
  // Untag the repository in the shared registry too: a leftover `prod` would make it managed for every later run on the lab.
  await untagRepositories([REPO]);
}

beforeAll(async () => {
  await cleanUp();
  const build1 = labDocker('build1');
  const web3 = labDocker('web3');
  for (const tag of TAGS) {
    ids[tag] = await buildBusyboxImage(build1, ref(tag), { lines: [`LABEL org.t-prune.build=${tag}`] });
    await pushImage(build1, ref(tag));
    await pullOn(web3, ref(tag));
    // Build times order the images; one second apart so none tie.
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
  await build1.getImage(ref(TAGS[3]!)).tag({ repo: `${REGISTRY}/${REPO}`, tag: 'prod' });
  await pushImage(build1, ref('prod'));
  await pullOn(web3, ref('prod'));
  await (await web3.createContainer({ name: 't-prune-app', Image: ref('prod'), Cmd: CMD, HostConfig: { NetworkMode: 'none' } })).start();
  await web3.createContainer({ name: 't-prune-stopped', Image: ref(TAGS[0]!), Cmd: CMD, HostConfig: { NetworkMode: 'none' } });
}, 120_000);

afterAll(cleanUp);

describe('prune on web3', () => {
  it('check: lists the unused image, keeps the used and previous ones, removes nothing', async () => {
    const result = await prune(true);
    expect(result.status).toBe('changed');
    expect(result.actions).toEqual([`Remove image ${ref(TAGS[1]!)} (${short(ids[TAGS[1]!]!)}, ${result.actions[0]!.split(', ')[1]}`]);
    expect(result.notes).toEqual([
      `Kept ${ref(TAGS[0]!)} (${short(ids[TAGS[0]!]!)}) on web3: used by container t-prune-stopped (created)`,
      `Kept ${ref(TAGS[2]!)} (${short(ids[TAGS[2]!]!)}) on web3: previous image of container t-prune-app, for a rollback`,
      `Kept ${ref(TAGS[3]!)} (${short(ids[TAGS[3]!]!)}) on web3: used by container t-prune-app (running)`,
    ]);
    expect(await imageId(labDocker('web3'), ids[TAGS[1]!]!)).toBe(ids[TAGS[1]!]);
  });

  it('apply: removes it; the others stay', async () => {
    const result = await prune(false);
    expect(result.status).toBe('changed');
    expect(result.actions).toHaveLength(1);
    expect(result.actions[0]).toMatch(new RegExp(`^Removed image ${ref(TAGS[1]!)} \\(${short(ids[TAGS[1]!]!)}, [\\d.]+ (B|KiB|MiB)\\) from web3$`));
    const web3 = labDocker('web3');
    expect(await imageId(web3, ids[TAGS[1]!]!)).toBeUndefined();
    for (const tag of [TAGS[0]!, TAGS[2]!, TAGS[3]!]) expect(await imageId(web3, ids[tag]!), tag).toBe(ids[tag]);
  });

  it('apply again: ok', async () => {
    const result = await prune(false);
    expect(result.status).toBe('ok');
    expect(result.notes).toHaveLength(3);
  });
});
