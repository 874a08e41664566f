// Turns lab/containers.json into `docker run` arguments, so the shell script and the tests read one definition.
// Usage: node container-args.mjs LAB_DIR HOST NAME   → NUL-separated arguments after `docker run -d`
//        node container-args.mjs LAB_DIR HOST        → the container names, one a line
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const definitions = JSON.parse(readFileSync(fileURLToPath(new URL('../../lab/containers.json', import.meta.url)), 'utf8'));

/** `docker run -d` arguments for one definition on one host. */
function dockerRunArgs(def, shared) {
  const args = ['--name', def.name, '--network', def.network, '--restart', def.restart];
  for (const [key, value] of Object.entries(def.env ?? {})) args.push('-e', `${key}=${value}`);
  for (const volume of def.volumes ?? []) args.push('-v', volume.replaceAll('{shared}', shared));
  for (const [key, value] of Object.entries(def.labels ?? {})) args.push('--label', `${key}=${value}`);
  args.push(def.image, ...(def.command ?? []));
  return args;
}

const [labDir, host, name] = process.argv.slice(2);
if (!labDir || !host) {
  console.error('usage: container-args.mjs LAB_DIR HOST [NAME]');
  process.exit(2);
}
if (name === undefined) {
  process.stdout.write(definitions.containers.map((def) => `${def.name}\n`).join(''));
} else {
  const def = definitions.containers.find((candidate) => candidate.name === name);
  if (!def) {
    console.error(`no lab container named ${name}`);
    process.exit(2);
  }
  process.stdout.write(dockerRunArgs(def, `${labDir}/shared/${host}`).map((arg) => `${arg}\0`).join(''));
}
