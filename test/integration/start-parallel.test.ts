// start replaces a host's containers together: three containers without a HEALTHCHECK, each needing an 8 s settle, are all started
// before the first one's settle ends; with parallel: 1 each waits for the one before. web2; t-par-* containers, repository
// t-par/app under the rollout tag `t-par`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonOf } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { labDocker, REGISTRY } from '../support/lab.js';
import { cleanUp, deleteManifests, publish, pullOn, removeImages, rolloutContext } from './steps-rollout.helpers.js';

const TAG = 't-par';
const REPO = 't-par/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const NAMES = ['t-par-a', 't-par-b', 't-par-c'];
// What the assertions lean on: one container's park, stop, create and start (and three of them side by side) take well under
// this on a loaded machine (about a second when quiet; 5 s was too close with two CPU-bound neighbours), while each wrong
// order costs at least one more settle.
const SETTLE_MS = 8_000;
const LOOP = `trap 'exit 0' TERM; while true; do sleep 1; done`;
const version = (n: number): string[] => [`LABEL org.t-par.version=${n}`, `CMD ["/bin/sh", "-c", "${LOOP}"]`];

const web = labDocker('web2');
const pushed: string[] = [];

/** When each container event of `names` happened between `since` and now, in ms: `die` and `start`, by the name at the time. */
async function eventTimes(since: number): Promise<Array<{ action: string; name: string; ms: number }>> {
  const stream = await web.getEvents({
    since: Math.floor(since / 1000),
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'], event: ['die', 'start'] },
  });
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Action: string; timeNano: number; Actor: { Attributes: { name: string } } })
    .map((event) => ({ action: event.Action, name: event.Actor.Attributes.name, ms: event.timeNano / 1e6 }));
}

/** Publishes version `n`, then runs pull, stop and start on web2 as one run; returns when each replacement started, in ms. */
async function rollOut(n: number, parallel: number): Promise<number[]> {
  await publish(REF, version(n), pushed);
  const ctx = rolloutContext('web2', { check: false, vars: { rollout_tag: TAG } });
  try {
    for (const step of [pullStep, stopStep, startStep]) {
      const result = await runStep(step, ctx, step === startStep ? { settle: `${SETTLE_MS}ms`, parallel } : {});
      expect(result.status, reasonOf(result)).toBe('changed');
    }
  } finally {
    await ctx.close();
  }
  const started = await Promise.all(NAMES.map(async (name) => Date.parse((await web.getContainer(name).inspect()).State.StartedAt)));
  return started.sort((a, b) => a - b);
}

beforeAll(async () => {
  await cleanUp(web, 't-par-', []);
  await publish(REF, version(1), pushed);
  await pullOn(web, REF);
  for (const name of NAMES) await (await web.createContainer({ name, Image: REF, HostConfig: { NetworkMode: 'none' } })).start();
});

afterAll(async () => {
  await cleanUp(web, 't-par-', []);
  await removeImages(web, REPO);
  await removeImages(labDocker('build1'), REPO);
  await deleteManifests(REPO, pushed);
});

describe('start replaces a host’s containers together', () => {
  it('starts every replacement before the first one’s settle time is over', async () => {
    const started = await rollOut(2, 4);
    expect(started.at(-1)! - started[0]!).toBeLessThan(SETTLE_MS);
  });

  it('with parallel: 1, each replacement waits for the one before to pass its gate, and each old container serves until its own turn', async () => {
    const since = Date.now() - 1000;
    const started = await rollOut(3, 1);
    expect(started[1]! - started[0]!).toBeGreaterThanOrEqual(SETTLE_MS);
    expect(started[2]! - started[1]!).toBeGreaterThanOrEqual(SETTLE_MS);
    // The short window: t-par-c's old container stops (dies, parked) only after t-par-a's and t-par-b's gates, and each container
    // is down from its old one's death to its replacement's start, not through the others' health waits.
    const events = await eventTimes(since);
    const at = (action: string, name: string): number => events.find((e) => e.action === action && e.name === name)!.ms;
    const [a, b, c] = NAMES as [string, string, string];
    expect(at('die', `${c}.freshen-old`) - at('start', a)).toBeGreaterThanOrEqual(2 * SETTLE_MS);
    for (const name of [a, b, c]) expect(at('start', name) - at('die', `${name}.freshen-old`)).toBeLessThan(SETTLE_MS);
  });
});
