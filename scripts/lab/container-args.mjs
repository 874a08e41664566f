// Turns lab/containers.json into `docker run -d` arguments, so the shell script and the tests read one definition.
// Usage: node container-args.mjs LAB_DIR OUT_DIR
// writes OUT_DIR/<host>/<name>: that container's arguments after `docker run -d`, NUL-separated.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const definitions = JSON.parse(readFileSync(fileURLToPath(new URL('../../lab/containers.json', import.meta.url)), 'utf8'));

function dockerRunArgs(def, shared) {
  const args = ['--name', def.name, '--network', def.network, '--restart', def.restart];
  for (const [key, value] of Object.entries(def.env ?? {})) args.push('-e', `${key}=${value}`);
  for (const volume of def.volumes ?? []) args.push('-v', volume.replaceAll('{shared}', shared));
  for (const [key, value] of Object.entries(def.labels ?? {})) args.push('--label', `${key}=${value}`);
  args.push(def.image, ...(def.command ?? []));
  return args;
}

const [labDir, outDir] = process.argv.slice(2);
if (!labDir || !outDir) {
  console.error('usage: container-args.mjs LAB_DIR OUT_DIR');
  process.exit(2);
}
rmSync(outDir, { recursive: true, force: true });
for (const host of definitions.hosts) {
  mkdirSync(join(outDir, host), { recursive: true });
  for (const def of definitions.containers) {
    const args = dockerRunArgs(def, join(labDir, 'shared', host));
    writeFileSync(join(outDir, host, def.name), args.map((arg) => `${arg}\0`).join(''));
  }
}
