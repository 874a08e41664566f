import { registrySettings } from '../../model/inventory.js';
import type { PinRecord } from '../../pins/commitMessage.js';
import type { GitRepo } from '../../pins/gitPort.js';
import { pinFile } from '../../pins/pinFile.js';
import type { PinProblem } from '../../pins/pinTargets.js';
import { globMatcher } from '../../shared/glob.js';
import { runSecrets } from '../../shared/secretText.js';
import type { StepContext } from '../types.js';
import type { PinOptions } from './pinOptions.js';
import { pinRecords, type FileChange } from './pinRecords.js';
import { resolveTargets } from './resolveTargets.js';

/** One file the commit changes: its text at the base and after pinning. */
export interface PinnedFile {
  path: string;
  before: string;
  after: string;
}

/** What one pin would do: the commit's base, the files it changes and why, and what it left alone. */
export interface PinPlan {
  options: PinOptions;
  repo: GitRepo;
  /** The commit the pins go on top of. */
  base: string;
  /** Where the base came from, in words: `origin/freshen/pins`, or `HEAD (main), as origin has no branch freshen/pins yet`. */
  baseLabel: string;
  files: PinnedFile[];
  changes: FileChange[];
  problems: Array<PinProblem & { path: string }>;
  /** References only this check run's push moves: the run itself pins them once pushed. */
  awaitingPush: string[];
  missing: string[];
  malformed: string[];
  records: PinRecord[];
  /** Files the commit changes that have uncommitted changes in the working tree. */
  dirty: string[];
  notes: string[];
}

/**
 * Reads the branch's last commit (fetched first, unless checking: then as of the last fetch), the files below `files` in it, and
 * the digests their managed tags name in the host's registry; pins in memory. Writes nothing but the fetched ref.
 */
export async function planPin(ctx: StepContext, options: PinOptions): Promise<PinPlan> {
  const top = await ctx.files.gitRepository(options.repository).topLevel();
  const repo = ctx.files.gitRepository(top);
  const url = await repo.remoteUrl(options.remote);
  if (url === undefined) throw new Error(`pin: ${top} has no remote named ${options.remote} (git remote -v lists them)`);
  // A URL may carry a password: it is the run's secret from here on (git's own messages can repeat the URL).
  runSecrets.addFrom(url);
  const { base, baseLabel, notes } = await branchBase(ctx, repo, options);
  const helmFiles = Object.keys(options.helmValues);
  const paths = [...new Set([...(options.files.length > 0 ? await repo.listFiles(base, options.files) : []), ...helmFiles])].sort();
  const texts = new Map<string, string>();
  for (const path of paths) {
    const text = await repo.readFile(base, path);
    if (text !== undefined) texts.set(path, text);
  }
  const absent = [...options.files, ...helmFiles].filter((f) => f !== '.' && !texts.has(f) && ![...texts.keys()].some((p) => p.startsWith(`${f}/`)));
  if (absent.length > 0) notes.push(`${absent.join(', ')}: not in ${baseLabel}`);

  const registryName = registrySettings(ctx.vars)?.name;
  const wanted = globMatcher(options.images);
  const manages = (registry: string | undefined, repository: string) => (registry === undefined || registry === registryName) && wanted(repository);
  const registry = ctx.connections.registry();
  ctx.progress(`Reading the digests of ${texts.size} file${texts.size === 1 ? "'s" : "s'"} tags in ${registryName ?? 'the registry'}`);
  const resolved = await resolveTargets(texts, options.helmValues, manages, registry, ctx.run.pushes, ctx.check);

  const files: PinnedFile[] = [];
  const changes: FileChange[] = [];
  const problems: PinPlan['problems'] = [];
  for (const [path, before] of texts) {
    const result = pinFile(path, before, resolved.targets, options.helmValues[path]);
    problems.push(...result.problems.map((p) => ({ ...p, path })));
    if (result.text === before) continue;
    files.push({ path, before, after: result.text });
    changes.push(...result.changes.map((c) => ({ ...c, path })));
  }
  const records = changes.length > 0 ? await pinRecords(ctx, registry, changes) : [];
  const dirtyNow = files.length > 0 ? new Set(await repo.dirtyPaths()) : new Set<string>();
  const dirty = files.map((f) => f.path).filter((p) => dirtyNow.has(p));
  return { options, repo, base, baseLabel, files, changes, problems, ...resolved, records, dirty, notes };
}

/** The commit to build on: the remote's branch (fetched first unless checking), else the checked-out commit. */
async function branchBase(ctx: StepContext, repo: GitRepo, options: PinOptions): Promise<{ base: string; baseLabel: string; notes: string[] }> {
  const tracking = `${options.remote}/${options.branch}`;
  const notes: string[] = [];
  let onRemote: boolean;
  if (ctx.check) {
    onRemote = (await repo.commitOf(`refs/remotes/${tracking}`)) !== undefined;
    notes.push(
      onRemote
        ? `A check run fetches nothing: ${tracking} as of the last fetch`
        : `A check run fetches nothing: ${options.remote} had no branch ${options.branch} at the last fetch`,
    );
  } else {
    ctx.progress(`Fetching ${options.branch} from ${options.remote}`);
    onRemote = await repo.fetch(options.remote, options.branch);
  }
  if (onRemote) return { base: (await repo.commitOf(`refs/remotes/${tracking}`))!, baseLabel: tracking, notes };
  const head = await repo.commitOf('HEAD');
  if (head === undefined) throw new Error(`pin: ${options.remote} has no branch ${options.branch}, and the repository has no commit to start it from`);
  const branch = await repo.currentBranch();
  return { base: head, baseLabel: `HEAD${branch ? ` (${branch})` : ''}, as ${options.remote} has no branch ${options.branch} yet`, notes };
}
