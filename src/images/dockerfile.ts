import { SubstitutionError, splitWords, substituteWord } from './substitute.js';

/** One `FROM` instruction after variable substitution. */
export interface DockerfileStage {
  /** The image (or earlier stage name, or `scratch`) the stage starts from. */
  from: string;
  kind: 'image' | 'stage' | 'scratch';
  /** `AS name`, lowercased as the builder does. */
  name?: string;
  platform?: string;
  /** 1-based line of the instruction. */
  line: number;
}

/** What a Dockerfile is built from. */
export interface DockerfileBases {
  stages: DockerfileStage[];
  /**
   * Every image reference the build reads (`FROM` and `COPY --from`, not stages nor `scratch`), in order of last use (a stage
   * built FROM another stage uses that stage's image): the final stage's base, unless `scratch`, is last.
   */
  bases: string[];
  /** The final stage's base after following stage references: an image reference or `scratch`. */
  finalBase: string;
}

export type DockerfileParse = { ok: true; value: DockerfileBases } | { ok: false; error: string };

interface LogicalLine {
  text: string;
  line: number;
}

/**
 * Reads the base images of a Dockerfile. `ARG`s declared before the first `FROM` are resolved from `buildArgs`, else
 * their defaults; `FROM` accepts `--platform=…` and `AS name`; stage references and `scratch` are not bases.
 */
export function parseDockerfile(text: string, buildArgs: Readonly<Record<string, string>> = {}): DockerfileParse {
  const rawLines = text.split(/\r?\n/);
  const escape = escapeDirective(rawLines);
  const args = new Map<string, string | undefined>();
  const stages: DockerfileStage[] = [];
  const copyFrom: Array<{ ref: string; order: number }> = [];
  try {
    for (const { text: instruction, line } of logicalLines(rawLines, escape)) {
      const match = /^\s*(\S+)\s*(.*)$/s.exec(instruction);
      if (!match) continue;
      const keyword = match[1]!.toUpperCase();
      const rest = match[2]!;
      if (keyword === 'ARG' && stages.length === 0) declareArgs(rest, line, args, buildArgs, escape);
      else if (keyword === 'FROM') stages.push(fromInstruction(rest, line, args, stages, escape));
      else if (keyword === 'COPY' && stages.length > 0) {
        const ref = copyFromImage(rest, args, stages, escape);
        // Ordered just before the current stage's FROM, so that FROM stays the last use within its stage.
        if (ref) copyFrom.push({ ref, order: stages.length - 1.5 });
      }
    }
  } catch (error) {
    if (error instanceof DockerfileError || error instanceof SubstitutionError) return { ok: false, error: error.message };
    throw error;
  }
  if (stages.length === 0) return { ok: false, error: 'no FROM instruction' };
  return { ok: true, value: { stages, bases: basesInOrder(stages, copyFrom), finalBase: resolveStage(stages, stages.length - 1) } };
}

class DockerfileError extends Error {}

/** The `# escape=` parser directive, honoured only among the leading comment lines as the builder does. */
function escapeDirective(lines: string[]): string {
  for (const line of lines) {
    const directive = /^#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$/.exec(line);
    if (!directive) break;
    if (directive[1]!.toLowerCase() === 'escape' && (directive[2] === '`' || directive[2] === '\\')) return directive[2];
  }
  return '\\';
}

/** Joins continuation lines, dropping comments and blank lines (also inside a continuation, as the builder does). */
function* logicalLines(lines: string[], escape: string): Generator<LogicalLine> {
  let pending: LogicalLine | undefined;
  for (const [index, raw] of lines.entries()) {
    if (/^\s*#/.test(raw) || (pending === undefined && raw.trim() === '')) continue;
    if (pending && raw.trim() === '') continue;
    const trimmed = raw.replace(/\s+$/, '');
    const continues = trimmed.endsWith(escape);
    const piece = continues ? trimmed.slice(0, -1) : raw;
    pending = pending ? { text: pending.text + piece, line: pending.line } : { text: piece, line: index + 1 };
    if (!continues) {
      yield pending;
      pending = undefined;
    }
  }
  if (pending) yield pending;
}

/** `ARG a=1 b` before the first FROM: build_args win over defaults; a default may use earlier ARGs. */
function declareArgs(rest: string, line: number, args: Map<string, string | undefined>, buildArgs: Readonly<Record<string, string>>, escape: string): void {
  const words = splitWords(rest, escape);
  if (words.length === 0) throw new DockerfileError(`line ${line}: ARG needs a name`);
  for (const word of words) {
    const eq = word.indexOf('=');
    const name = eq >= 0 ? word.slice(0, eq) : word;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new DockerfileError(`line ${line}: bad ARG name "${name}"`);
    const fallback = eq >= 0 ? substituteWord(word.slice(eq + 1), args, escape) : undefined;
    args.set(name, Object.hasOwn(buildArgs, name) ? buildArgs[name] : fallback);
  }
}

function fromInstruction(
  rest: string,
  line: number,
  args: ReadonlyMap<string, string | undefined>,
  stages: DockerfileStage[],
  escape: string,
): DockerfileStage {
  const words = splitWords(rest, escape);
  let platform: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    const platformFlag = /^--platform=(.*)$/i.exec(flag);
    if (platformFlag) platform = substituteWord(platformFlag[1]!, args, escape);
  }
  const shapeOk = words.length === 1 || (words.length === 3 && words[1]!.toLowerCase() === 'as');
  if (!shapeOk) throw new DockerfileError(`line ${line}: FROM needs an image, optionally followed by "AS name"`);
  const from = substituteWord(words[0]!, args, escape);
  if (from === '') throw new DockerfileError(`line ${line}: FROM ${words[0]} names no image after substitution`);
  const name = words.length === 3 ? words[2]!.toLowerCase() : undefined;
  if (name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name)) throw new DockerfileError(`line ${line}: bad stage name "${name}"`);
  const kind = stageIndex(stages, from) >= 0 ? 'stage' : from.toLowerCase() === 'scratch' ? 'scratch' : 'image';
  return { from, kind, line, ...(name ? { name } : {}), ...(platform ? { platform } : {}) };
}

/** `COPY --from=X`: an image reference when X is neither an earlier stage's name nor its index. */
function copyFromImage(rest: string, args: ReadonlyMap<string, string | undefined>, stages: DockerfileStage[], escape: string): string | undefined {
  for (const word of splitWords(rest, escape)) {
    if (!word.startsWith('--')) break;
    const flag = /^--from=(.+)$/i.exec(word);
    if (!flag) continue;
    const source = substituteWord(flag[1]!, args, escape);
    const isIndex = /^\d+$/.test(source) && Number(source) < stages.length;
    return isIndex || stageIndex(stages, source) >= 0 ? undefined : source;
  }
  return undefined;
}

function stageIndex(stages: DockerfileStage[], reference: string): number {
  const lower = reference.toLowerCase();
  return stages.findIndex((s) => s.name === lower);
}

/** Follows stage references back to an image or `scratch`. */
function resolveStage(stages: DockerfileStage[], index: number): string {
  const stage = stages[index]!;
  if (stage.kind === 'image') return stage.from;
  if (stage.kind === 'scratch') return 'scratch';
  return resolveStage(stages, stageIndex(stages.slice(0, index), stage.from));
}

/** Unique image references ordered by their last use, so the final stage's base (unless `scratch`) comes last. */
function basesInOrder(stages: DockerfileStage[], copyFrom: Array<{ ref: string; order: number }>): string[] {
  const uses = [
    // A stage built FROM an earlier stage uses that stage's image again.
    ...stages.flatMap((_, i) => {
      const image = resolveStage(stages, i);
      return image === 'scratch' ? [] : [{ ref: image, order: i }];
    }),
    ...copyFrom,
  ];
  const lastUse = new Map<string, number>();
  for (const use of uses) lastUse.set(use.ref, Math.max(lastUse.get(use.ref) ?? -Infinity, use.order));
  return [...lastUse.entries()].sort((a, b) => a[1] - b[1]).map(([ref]) => ref);
}

/** A `FROM` whose reference names both a tag and a digest: `FROM [--flag…] NAME:TAG@sha256:…`. */
const PINNED_FROM = /^(\s*FROM\s+(?:--\S+\s+)*\S+:[^\s/@]+)@sha256:[0-9a-f]{64}(?=\s|$)/gim;

/**
 * The Dockerfile as a build that follows pinned bases reads it (discover's `pinned_bases: follow`): each `FROM NAME:TAG@DIGEST`
 * becomes `FROM NAME:TAG`, so the build starts from what the tag names now, and the digest `pin` wrote records only what the
 * last build started from (changing it changes neither the verdict nor the context digest).
 */
export const followPinnedBases = (text: string): string => text.replace(PINNED_FROM, '$1');
