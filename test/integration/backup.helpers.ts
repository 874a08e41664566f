// Helpers of the backup integration tests: throwaway registries of their own, and a look at a registry by plain HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A CNCF registry of this test's own: empty, deletes enabled, on a free 127.0.0.1 port. */
export interface OwnRegistry {
  name: string;
  url: string;
  stop(): Promise<void>;
}

export async function startOwnRegistry(label: string): Promise<OwnRegistry> {
  const dir = await mkdtemp(join(tmpdir(), `t-backup-${label}-`));
  const name = `127.0.0.1:${await freeLoopbackPort()}`;
  await writeFile(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
      `http: { addr: "${name}" }`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i += 1) {
    const status = await fetch(`http://${name}/v2/`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return { name, url: `http://${name}`, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the registry of this test on ${name} did not start`);
}

/** `repository:tag` → manifest digest, for every repository of `repositories` as the registry serves them (HEAD). */
export async function tagDigests(url: string, repositories: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const repository of repositories) {
    const res = await fetch(`${url}/v2/${repository}/tags/list`);
    if (res.status === 404) continue;
    for (const tag of ((await res.json()) as { tags: string[] | null }).tags ?? []) {
      const head = await fetch(`${url}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      if (head.status === 200) out[`${repository}:${tag}`] = head.headers.get('docker-content-digest')!;
    }
  }
  return out;
}

/** Deletes every manifest of `repository` in the registry at `url`. */
export async function deleteRepository(url: string, repository: string): Promise<void> {
  const digests = new Set(Object.values(await tagDigests(url, [repository])));
  for (const digest of digests) await fetch(`${url}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
}
