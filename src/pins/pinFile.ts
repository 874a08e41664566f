import { pinDockerfile } from './dockerfilePins.js';
import { pinMarkedLines } from './markerPins.js';
import type { PinResult, PinTargets } from './pinTargets.js';
import { pinYaml, type YamlPinKind } from './yamlPins.js';

// Which reading a file gets, from its name, and the pinning of one file. Pure.

/** How a file is read: as YAML of a kind, or only for lines marked `# freshen: REPO`. */
export type PinFileKind = YamlPinKind | 'dockerfile' | 'marked';

const base = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * The reading a file gets by its name: `kustomization.yaml` a kustomization, `compose.yaml`, `docker-compose.yml` and their
 * `*.override`/variants Compose files, any other `.yaml`/`.yml` Kubernetes manifests, `Dockerfile`, `Dockerfile.*`,
 * `*.Dockerfile` and `Containerfile` their `FROM` lines, everything else marked lines only.
 */
export function pinFileKind(path: string): PinFileKind {
  const name = base(path).toLowerCase();
  if (/^(dockerfile|containerfile)(\..+)?$|\.dockerfile$/.test(name)) return 'dockerfile';
  if (/^kustomization\.ya?ml$/.test(name)) return 'kustomize';
  if (/^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(name)) return 'compose';
  if (/\.ya?ml$/.test(name)) return 'kubernetes';
  return 'marked';
}

/**
 * Pins one file: its kind's references (a Helm values file's image maps at `helmPaths`, when given), then (in any file) the
 * lines marked `# freshen: REPO`.
 */
export function pinFile(path: string, text: string, targets: PinTargets, helmPaths?: readonly string[]): PinResult {
  const kind = helmPaths !== undefined ? 'helm' : pinFileKind(path);
  const read =
    kind === 'marked' ? { text, changes: [], problems: [] } : kind === 'dockerfile' ? pinDockerfile(text, targets) : pinYaml(text, kind, targets, helmPaths);
  // A file YAML could not read is left whole: its marked lines too, so one edit never lands in a file half understood.
  if (read.problems.some((p) => p.wholeFile)) return read;
  const marked = pinMarkedLines(read.text, targets);
  return { text: marked.text, changes: [...read.changes, ...marked.changes], problems: [...read.problems, ...marked.problems] };
}
