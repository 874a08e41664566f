import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Scalar, type YAMLMap } from 'yaml';
import { parseImageRef } from '../model/imageRef.js';
import { mayBeTarget, pinnedRef, type PinChange, type PinProblem, type PinResult, type PinTargets } from './pinTargets.js';
import { applyEdits, lineAt, type TextEdit } from './textEdits.js';

// Pinning image references in YAML files: Compose files, Kubernetes manifests, kustomizations. The yaml library finds the
// nodes; the file is then edited at those nodes' source offsets only, so comments, quoting, indentation and every other byte
// stay as they were (re-serialising a document would reformat it). Pure.

export type YamlPinKind = 'compose' | 'kubernetes' | 'kustomize' | 'helm';

/** The pod spec's path in each workload kind freshen edits. */
const POD_SPEC: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Pins every reference to a target repository in a YAML file of `kind`; a file that does not parse is left whole. */
export function pinYaml(text: string, kind: YamlPinKind, targets: PinTargets, helmPaths: readonly string[] = []): PinResult {
  const documents = parseAllDocuments(text);
  const errors = documents.flatMap((doc) => doc.errors);
  if (errors.length > 0) {
    const [first] = errors;
    return { text, changes: [], problems: [{ line: lineAt(text, first!.pos[0]), message: `not valid YAML (${first!.code}); left as it is`, wholeFile: true }] };
  }
  const out: Collected = { edits: [], changes: [], problems: [] };
  const { edits, changes, problems } = out;
  const pinScalar = (node: unknown): void => {
    const edit = scalarEdit(text, node, targets);
    if (edit === undefined) return;
    if ('problem' in edit) problems.push(edit.problem);
    else {
      edits.push(edit.edit);
      changes.push(edit.change);
    }
  };
  for (const doc of documents) {
    if (kind === 'compose') composeImages(doc).forEach(pinScalar);
    else if (kind === 'kubernetes') workloadImages(doc).forEach(pinScalar);
    else if (kind === 'kustomize') kustomizeImages(text, doc, targets, out);
    else helmImages(text, doc, helmPaths, targets, out);
  }
  return { text: edits.length === 0 ? text : applyEdits(text, edits), changes, problems };
}

/** `services.*.image` of a Compose file. */
function composeImages(doc: Document): unknown[] {
  const services = doc.get('services', true);
  if (!isMap(services)) return [];
  return services.items.map((pair) => (isMap(pair.value) ? pair.value.get('image', true) : undefined));
}

/** The `image` of every container and init container of a workload document. */
function workloadImages(doc: Document): unknown[] {
  const kind = doc.get('kind');
  const path = typeof kind === 'string' ? POD_SPEC[kind] : undefined;
  if (path === undefined) return [];
  const podSpec = doc.getIn(path, true);
  if (!isMap(podSpec)) return [];
  return ['initContainers', 'containers'].flatMap((field) => {
    const list = podSpec.get(field, true);
    return isSeq(list) ? list.items.map((container) => (isMap(container) ? container.get('image', true) : undefined)) : [];
  });
}

/** Where a YAML reading collects its edits, changes and problems. */
interface Collected {
  edits: TextEdit[];
  changes: PinChange[];
  problems: PinProblem[];
}

/**
 * A kustomization's `images:` entries for target repositories (by `newName`, else `name`) get a `digest:`: replaced where it
 * has one, added as the entry's last key otherwise, in the entry's own indentation.
 */
function kustomizeImages(text: string, doc: Document, targets: PinTargets, out: Collected): void {
  const images = doc.get('images', true);
  if (!isSeq(images)) return;
  for (const entry of images.items) {
    if (!isMap(entry)) continue;
    const name = entry.get('newName') ?? entry.get('name');
    if (typeof name !== 'string') continue;
    const newTag = entry.get('newTag');
    pinDigestKey(
      text,
      entry,
      { name, tag: typeof newTag === 'string' ? newTag : undefined, what: `the images entry of ${name}`, hint: 'give it newTag' },
      targets,
      out,
    );
  }
}

/**
 * Helm values: the image maps at `paths` (dotted, `image` or `worker.image`), each `{registry?, repository, tag, digest?}` as
 * most charts write them, get their `digest:` set. A chart's templates must use it (`@{{ .Values.image.digest }}`).
 */
function helmImages(text: string, doc: Document, paths: readonly string[], targets: PinTargets, out: Collected): void {
  for (const path of paths) {
    const node = doc.getIn(path.split('.'), true);
    const repository = isMap(node) ? node.get('repository') : undefined;
    if (!isMap(node) || typeof repository !== 'string') {
      out.problems.push({
        line: lineAt(text, ((node as { range?: number[] } | undefined)?.range ?? [0])[0]!),
        message: `no image map with a repository at ${path}; left as it is`,
      });
      continue;
    }
    const registry = node.get('registry');
    const tag = node.get('tag');
    const name = typeof registry === 'string' && registry !== '' ? `${registry}/${repository}` : repository;
    pinDigestKey(
      text,
      node,
      { name, tag: typeof tag === 'string' ? tag : undefined, what: `the image at ${path} (${name})`, hint: 'give it a tag' },
      targets,
      out,
    );
  }
}

/** Sets the `digest:` key of an image map to the digest of the tag it follows (replaced, or added as its last key). */
function pinDigestKey(
  text: string,
  map: YAMLMap,
  image: { name: string; tag: string | undefined; what: string; hint: string },
  targets: PinTargets,
  out: Collected,
): void {
  const { registry, repository } = parseImageRef(image.name);
  if (!targets.manages(registry, repository)) return;
  const digest = targets.digestFor(`${registry}/${repository}`, image.tag);
  const line = lineAt(text, (map.range ?? [0])[0]);
  if (digest === undefined) {
    out.problems.push({ line, message: `${image.what} names no tag freshen pins (${image.hint}); left as it is` });
    return;
  }
  const current = map.get('digest', true);
  if (isScalar(current) && current.value !== null && current.value !== '') {
    if (current.value === digest) return;
    const rendered = renderLike(current, digest);
    if (rendered === undefined) out.problems.push({ line, message: `the digest of ${image.what} is a block scalar; left as it is` });
    else {
      out.edits.push({ start: current.range![0], end: current.range![1], text: rendered });
      out.changes.push({ line: lineAt(text, current.range![0]), from: `${image.name}@${String(current.value)}`, to: `${image.name}@${digest}` });
    }
    return;
  }
  if (isScalar(current)) {
    // An empty `digest: ""` (a chart's default) is filled in place, in its own quoting.
    const rendered = renderLike(current, digest);
    const at = current.range!;
    if (rendered !== undefined) {
      out.edits.push({ start: at[0], end: at[1], text: rendered });
      out.changes.push({ line: lineAt(text, at[0]), from: image.name, to: `${image.name}@${digest}` });
      return;
    }
  }
  const insertion = appendKey(text, map, `digest: ${digest}`);
  if (insertion === undefined) out.problems.push({ line, message: `${image.what} is a flow mapping; left as it is` });
  else {
    out.edits.push(insertion);
    out.changes.push({ line, from: image.name, to: `${image.name}@${digest}` });
  }
}

/** An edit that adds `keyValue` as the last key of a block mapping, on a line of its own at the mapping's indentation. */
function appendKey(text: string, map: YAMLMap, keyValue: string): TextEdit | undefined {
  if (map.flow === true || map.items.length === 0) return undefined;
  const firstKey = map.items[0]!.key as Scalar | undefined;
  const last = map.items.at(-1)!;
  const lastEnd = ((last.value as Scalar | null)?.range ?? (last.key as Scalar | null)?.range)?.[1];
  const keyStart = firstKey?.range?.[0];
  if (keyStart === undefined || lastEnd === undefined) return undefined;
  const column = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
  // After the last value's line (its trailing comment included).
  const lineEnd = text.indexOf('\n', lastEnd);
  const at = lineEnd === -1 ? text.length : lineEnd;
  return { start: at, end: at, text: `\n${' '.repeat(column)}${keyValue}` };
}

type ScalarEdit = { edit: TextEdit; change: PinChange } | { problem: PinProblem };

/** The edit that pins one `image:` scalar; undefined when it is not a reference to a target (or is pinned already). */
function scalarEdit(text: string, node: unknown, targets: PinTargets): ScalarEdit | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const ref = node.value;
  const [start, end] = node.range;
  const line = lineAt(text, start);
  if (ref.includes('$')) return mayBeTarget(ref, targets) ? { problem: { line, message: `${ref} is built from variables; left as it is` } } : undefined;
  const pinned = pinnedRef(ref, targets);
  if (pinned === undefined) return undefined;
  const rendered = renderLike(node, pinned);
  if (rendered === undefined) return { problem: { line, message: `${ref} is a block scalar; left as it is` } };
  return { edit: { start, end, text: rendered }, change: { line, from: ref, to: pinned } };
}

/** `value` written in the scalar's own style (plain, single or double quoted); undefined for block scalars. */
function renderLike(node: Scalar, value: string): string | undefined {
  switch (node.type) {
    case 'QUOTE_DOUBLE':
      return JSON.stringify(value);
    case 'QUOTE_SINGLE':
      return `'${value.replaceAll("'", "''")}'`;
    case 'PLAIN':
    case undefined:
      return value;
    default:
      return undefined;
  }
}
