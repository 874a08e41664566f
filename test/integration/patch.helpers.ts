// Helpers of the patch*.test.ts files: the lab's Debian upstream, the docker CLI on a lab engine, raw configs, and patch then
// push as the runner runs them.
import { execFile } from 'node:child_process';
import { expect } from 'vitest';
import type { Host } from '../../src/model/inventory.js';
import { newRunState, type HostFacts } from '../../src/steps/facts.js';
import { runStep } from '../../src/runner/runStep.js';
import { patchStep } from '../../src/steps/patch/patch.js';
import { pushStep } from '../../src/steps/push/push.js';
import { REGISTRY, labDocker, labSocket, removeImageReferences } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';

/** The debootstrapped bookworm `lab.sh debian` publishes: real pending Debian updates from the loopback mirror. */
export const UPSTREAM = `${REGISTRY}/upstream/debian:bookworm`;

/** `docker ARGS…` against a lab engine; resolves with its trimmed stdout. */
export function docker(host: 'build1' | 'web2', args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('docker', ['-H', `unix://${labSocket(host)}`, ...args], { maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`docker ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

/** The raw config blob of `repository:reference` in a registry, and its manifest digest. */
export async function rawConfig(url: string, repository: string, reference: string): Promise<{ digest: string; config: Record<string, unknown>; raw: string }> {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const response = await fetch(`${url}/v2/${repository}/manifests/${reference}`, { headers: { accept } });
  expect(response.status).toBe(200);
  const manifest = (await response.json()) as { config: { digest: string } };
  const raw = await (await fetch(`${url}/v2/${repository}/blobs/${manifest.config.digest}`)).text();
  return { digest: response.headers.get('docker-content-digest')!, config: JSON.parse(raw) as Record<string, unknown>, raw };
}

/** Runs patch then push (on build1 by default, for `registry`), sharing facts as the runner does. */
export async function patchAndPush(registry: string, work: string, options: Record<string, unknown>, host: Host = labHost('build1', { registry })) {
  const facts: HostFacts = {};
  const run = newRunState();
  const results = [];
  for (const [handler, opts] of [
    [patchStep, options],
    [pushStep, {}],
  ] as const) {
    const { ctx, close } = makeStepContext({ host, check: false, playbookDir: work, facts, run });
    try {
      results.push(await runStep(handler, ctx, opts));
    } finally {
      await close();
    }
  }
  return results;
}

/** How many layers an image on build1 has, and its size. */
export async function imageFacts(host: 'build1', ref: string): Promise<{ layers: number; size: number }> {
  const info = await labDocker(host).getImage(ref).inspect();
  return { layers: info.RootFS.Layers?.length ?? 0, size: info.Size };
}

/** Removes from web2 and build1 every image of the given registries or whose name holds `marker`. */
export async function removePatchImages(registries: Array<string | undefined>, marker: string): Promise<void> {
  const ours = (name: string): boolean => registries.some((r) => r !== undefined && name.startsWith(`${r}/`)) || name.includes(marker);
  // By name: the upstream's own tag, on the same image, stays for the other files that use it.
  for (const engine of [labDocker('web2'), labDocker('build1')]) await removeImageReferences(engine, ours);
}
