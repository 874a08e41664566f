// The pin step against real git (a bare repository as the remote, by path) and a fake registry: the cases the lab test cannot
// stage on cue, a remote that moves between the fetch and the push, a dirty working tree, a remote URL with a password, and
// tags that name different builds. test/integration/pin.test.ts runs the step end to end on the lab.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitRepository } from '../../src/adapters/gitRepository.js';
import { localFiles } from '../../src/adapters/localFiles.js';
import { codeOf, reasonOf } from '../../src/model/results.js';
import type { GitRepo } from '../../src/pins/gitPort.js';
import { runStep } from '../../src/runner/runStep.js';
import { runSecrets } from '../../src/shared/secretText.js';
import { pinStep } from '../../src/steps/pin/pin.js';
import type { StepHandler } from '../../src/steps/types.js';
import { fakeContext, FakeRegistry } from '../support/fakes.js';

const REG = 'registry.test:5000';
let dir: string;
let remote: string;
let clone: string;
let registry: FakeRegistry;

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

/** Commits `files` in a second clone and pushes them to `branch` of the remote: someone else's work landing meanwhile. */
async function landElsewhere(branch: string, files: Record<string, string>): Promise<void> {
  const other = join(dir, `other-${Math.random().toString(36).slice(2)}`);
  git(dir, 'clone', '--quiet', '--branch', branch, remote, other);
  for (const [path, text] of Object.entries(files)) await writeFile(join(other, path), text);
  git(other, 'add', '.');
  git(other, 'commit', '--quiet', '-m', 'meanwhile');
  git(other, 'push', '--quiet', 'origin', branch);
}

/** The step's context on the clone, with a git port that can run something just before a push. */
function context(options: { check?: boolean; beforePush?: () => Promise<void> } = {}) {
  // Once per run, whichever handle of the repository pushes first.
  let hook = options.beforePush;
  const files = {
    ...localFiles,
    gitRepository: (at: string): GitRepo => {
      const real = new GitRepository(at);
      return Object.assign(Object.create(real) as GitRepo, {
        push: async (...args: Parameters<GitRepo['push']>) => {
          const once = hook;
          hook = undefined;
          await once?.();
          return real.push(...args);
        },
      });
    },
  };
  return fakeContext({ registry, host: 'registry1', check: options.check, playbookDir: clone, files });
}

const run = (ctx: ReturnType<typeof context>, options: Record<string, unknown>) => runStep(pinStep as StepHandler, ctx, options);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-pin-step-'));
  remote = join(dir, 'remote.git');
  clone = join(dir, 'clone');
  git(dir, 'init', '--quiet', '--bare', remote);
  git(dir, 'clone', '--quiet', remote, clone);
  await writeFile(join(clone, 'compose.yaml'), `services:\n  api:\n    image: ${REG}/team/api:prod\n  canary:\n    image: ${REG}/team/api:canary\n`);
  await writeFile(join(clone, 'README'), 'infra\n');
  git(clone, 'add', '.');
  git(clone, 'commit', '--quiet', '-m', 'first');
  git(clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  registry = new FakeRegistry(REG);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pin', () => {
  it('pins each reference to the digest of the tag it follows, and a second run makes no commit', async () => {
    const prod = registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    const canary = registry.publish('team/api', 'canary', `sha256:${'b'.repeat(64)}`);
    const result = await run(context(), { files: ['compose.yaml'] });
    expect(result.status).toBe('changed');
    expect(git(remote, 'show', 'freshen/pins:compose.yaml')).toBe(
      `services:\n  api:\n    image: ${REG}/team/api:prod@${prod}\n  canary:\n    image: ${REG}/team/api:canary@${canary}`,
    );
    const tip = git(remote, 'rev-parse', 'freshen/pins');
    expect((await run(context(), { files: ['compose.yaml'] })).status).toBe('ok');
    expect(git(remote, 'rev-parse', 'freshen/pins')).toBe(tip);
  });

  it('a branch that moved between fetch and push is fetched again and the pins made on its new tip, never forced', async () => {
    const prod = registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    registry.publish('team/api', 'canary', `sha256:${'b'.repeat(64)}`);
    const result = await run(context({ beforePush: () => landElsewhere('main', { README: 'infra, edited meanwhile\n' }) }), {
      files: ['compose.yaml'],
      branch: 'main',
    });
    expect(reasonOf(result)).toBeUndefined();
    expect(result.status).toBe('changed');
    expect(git(remote, 'log', '--format=%s', 'main').split('\n')).toEqual(['Pin team/api', 'meanwhile', 'first']);
    expect(git(remote, 'show', 'main:README')).toBe('infra, edited meanwhile');
    expect(git(remote, 'show', 'main:compose.yaml')).toContain(`prod@${prod}`);
  });

  it('a branch that moved to the same pins is left as it is', async () => {
    const prod = registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    const canary = registry.publish('team/api', 'canary', `sha256:${'b'.repeat(64)}`);
    const pinned = `services:\n  api:\n    image: ${REG}/team/api:prod@${prod}\n  canary:\n    image: ${REG}/team/api:canary@${canary}\n`;
    const result = await run(context({ beforePush: () => landElsewhere('main', { 'compose.yaml': pinned }) }), { files: ['compose.yaml'], branch: 'main' });
    expect(result.status).toBe('ok');
    expect(result.notes).toContain('The branch moved, and already has these pins');
    expect(git(remote, 'log', '--format=%s', 'main').split('\n')).toEqual(['meanwhile', 'first']);
  });

  it('refuses a file it would change that has uncommitted edits, unless allow_dirty', async () => {
    registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    await writeFile(join(clone, 'compose.yaml'), 'services: {}\n');
    expect((await run(context({ check: true }), { files: ['compose.yaml'] })).notes).toContain(
      'compose.yaml: uncommitted changes; the run would fail (pin-dirty) unless they are committed or allow_dirty: true',
    );
    const refused = await run(context(), { files: ['compose.yaml'] });
    expect(codeOf(refused)).toBe('pin-dirty');
    expect(reasonOf(refused)).toMatch(/^compose\.yaml has uncommitted changes: the commit is made from HEAD \(main\)/);
    expect(git(remote, 'branch', '--list')).not.toContain('freshen/pins');
    expect((await run(context(), { files: ['compose.yaml'], allow_dirty: true })).status).toBe('changed');
  });

  it('a check run reads, reports the diff, and writes no object, ref or index', async () => {
    registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    const objects = git(clone, 'count-objects', '-v');
    const refs = git(clone, 'for-each-ref');
    const index = (await stat(join(clone, '.git/index'))).mtimeMs;
    const ctx = context({ check: true });
    const result = await run(ctx, { files: ['.'] });
    expect(result.status).toBe('changed');
    expect(result.fileDiffs?.map((d) => d.file)).toEqual(['compose.yaml']);
    expect(result.notes).toContain(`${REG}/team/api:canary: the registry holds no such tag; its references are left as they are`);
    expect(git(clone, 'count-objects', '-v')).toBe(objects);
    expect(git(clone, 'for-each-ref')).toBe(refs);
    expect((await stat(join(clone, '.git/index'))).mtimeMs).toBe(index);
  });

  it('writes no digest the registry gave that is not a sha256 digest', async () => {
    registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    const answer = registry.manifestDigest.bind(registry);
    registry.manifestDigest = async (repository, reference) => (reference === 'canary' ? 'sha256:x\nservices: {}' : answer(repository, reference));
    registry.publish('team/api', 'canary', `sha256:${'b'.repeat(64)}`);
    const result = await run(context(), { files: ['compose.yaml'] });
    expect(result.notes).toContain(`${REG}/team/api:canary: the registry's answer is not a sha256 digest; its references are left as they are`);
    expect(git(remote, 'show', 'freshen/pins:compose.yaml').split('\n')).toContain(`    image: ${REG}/team/api:canary`);
  });

  it("a remote URL's password is a secret of the run from the moment the step reads it", async () => {
    git(clone, 'remote', 'set-url', 'origin', 'http://pin-user:pin-s3cret-word@127.0.0.1:9/infra.git');
    registry.publish('team/api', 'prod', `sha256:${'a'.repeat(64)}`);
    const result = await run(context(), { files: ['compose.yaml'] });
    expect(result.status).toBe('failed');
    // Registered, so every output path (live view, plain lines, report, notifications) scrubs it, whatever git said.
    expect(runSecrets.redact(`fatal: http://pin-user:pin-s3cret-word@127.0.0.1:9/infra.git`)).not.toContain('pin-s3cret-word');
    expect(runSecrets.redact(reasonOf(result) ?? '')).not.toContain('pin-s3cret-word');
  });
});
