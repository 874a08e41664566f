import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Scalar, type YAMLMap } from 'yaml';
import { parseImageRef } from '../model/imageRef.js';
import { pinnedRef, type PinChange, type PinProblem, type PinResult, type PinTargets } from './pinTargets.js';
import { applyEdits, lineAt, type TextEdit } from './textEdits.js';

// Pinning image references in YAML files: Compose files, Kubernetes manifests, kustomizations. The yaml library finds the
// nodes; the file is then edited at those nodes' source offsets only, so comments, quoting, indentation and every other byte
// stay as they were (re-serialising a document would reformat it). Pure.

export type YamlPinKind = 'compose' | 'kubernetes' | 'kustomize';

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
export function pinYaml(text: string, kind: YamlPinKind, targets: PinTargets): PinResult {
  const documents = parseAllDocuments(text);
  const errors = documents.flatMap((doc) => doc.errors);
  if (errors.length > 0) {
    const [first] = errors;
    return { text, changes: [], problems: [{ line: lineAt(text, first!.pos[0]), message: `not valid YAML (${first!.code}); left as it is`, wholeFile: true }] };
  }
  const edits: TextEdit[] = [];
  const changes: PinChange[] = [];
  const problems: PinProblem[] = [];
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
    else kustomizeImages(text, doc, targets, edits, changes, problems);
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

/**
 * A kustomization's `images:` entries for target repositories (by `newName`, else `name`) get a `digest:`: replaced where it
 * has one, added as the entry's last key otherwise, in the entry's own indentation.
 */
function kustomizeImages(text: string, doc: Document, targets: PinTargets, edits: TextEdit[], changes: PinChange[], problems: PinProblem[]): void {
  const images = doc.get('images', true);
  if (!isSeq(images)) return;
  for (const entry of images.items) {
    if (!isMap(entry)) continue;
    const name = entry.get('newName') ?? entry.get('name');
    if (typeof name !== 'string') continue;
    const { registry, repository } = parseImageRef(name);
    if (!targets.manages(registry, repository)) continue;
    const newTag = entry.get('newTag');
    const digest = targets.digestFor(`${registry}/${repository}`, typeof newTag === 'string' ? newTag : undefined);
    const line = lineAt(text, (entry.range ?? [0])[0]);
    if (digest === undefined) {
      problems.push({ line, message: `the images entry of ${name} names no tag freshen pins (give it newTag); left as it is` });
      continue;
    }
    const current = entry.get('digest', true);
    if (isScalar(current)) {
      if (current.value === digest) continue;
      const rendered = renderLike(current, digest);
      if (rendered === undefined) problems.push({ line, message: `the digest of ${name} is a block scalar; left as it is` });
      else {
        edits.push({ start: current.range![0], end: current.range![1], text: rendered });
        changes.push({ line: lineAt(text, current.range![0]), from: `${name}@${String(current.value)}`, to: `${name}@${digest}` });
      }
      continue;
    }
    const insertion = appendKey(text, entry, `digest: ${digest}`);
    if (insertion === undefined) problems.push({ line, message: `the images entry of ${name} is a flow mapping; left as it is` });
    else {
      edits.push(insertion);
      changes.push({ line, from: name, to: `${name}@${digest}` });
    }
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
  if (ref.includes('$')) {
    // Which registry the variables name is not known here: say so when the rest could be a target's repository.
    const parts = ref
      .split('@')[0]!
      .replace(/:[^/:]*$/, '')
      .split('/');
    const mayBeTarget = parts.some((_, i) => i > 0 && targets.manages(undefined, parts.slice(i).join('/')));
    return mayBeTarget ? { problem: { line, message: `${ref} is built from variables; left as it is` } } : undefined;
  }
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
