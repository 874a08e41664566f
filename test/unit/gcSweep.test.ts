import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecResult, SshSession } from '../../src/adapters/types.js';
import { dryRunSweep, runSweep } from '../../src/steps/gc/sweep.js';

/** The SshSession contract over a local /bin/sh: the commands really run, only the transport is missing. */
class LocalShell implements SshSession {
  readonly commands: string[] = [];
  exec(command: string): Promise<ExecResult> {
    this.commands.push(command);
    return new Promise((resolve) => {
      execFile('/bin/sh', ['-c', command], (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      });
    });
  }
  async close(): Promise<void> {}
}

const FAST = { afterRetryDelayMs: 10 };
let dir: string;
let data: string;
let journal: string;
const steps = async (): Promise<string[]> => (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const say = (word: string): string => `echo ${word} >> ${journal}`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-gc-sweep-'));
  data = join(dir, 'data');
  journal = join(dir, 'journal');
  await mkdir(data);
  await writeFile(join(data, 'blob'), 'x'.repeat(4096));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Stands in for `registry garbage-collect`: removes the blob and prints distribution's summary line.
const collector = (): string => `${say('collect')} && rm ${join(data, 'blob')} && echo '1 blobs marked, 1 blobs and 0 manifests eligible for deletion'`;

describe('runSweep', () => {
  it('runs before, the collector and after in order and measures the bytes freed', async () => {
    const shell = new LocalShell();
    const outcome = await runSweep(shell, { before: say('before'), command: collector(), after: say('after'), data_dir: data }, FAST);
    expect(await steps()).toEqual(['before', 'collect', 'after']);
    expect(outcome.bytesBefore! - outcome.bytesAfter!).toBe(4096);
    expect(outcome.report).toEqual({ markedBlobs: 1, blobs: [], manifests: [] });
    expect(shell.commands[0]).toBe(`du -sb ${data}`);
  });

  it('runs after even when the collector fails, and reports the collector', async () => {
    const shell = new LocalShell();
    const error = await runSweep(
      shell,
      { before: say('before'), command: `${say('collect')} && echo disk on fire >&2 && exit 3`, after: say('after'), data_dir: data },
      FAST,
    ).catch((e: unknown) => e);
    expect(await steps()).toEqual(['before', 'collect', 'after']);
    expect(error).toMatchObject({ code: 'gc-command-failed', message: 'registry_gc.command failed (exit 3): disk on fire' });
  });

  it('skips the collector when before fails, but still runs after', async () => {
    const shell = new LocalShell();
    const error = await runSweep(shell, { before: `${say('before')} && exit 1`, command: collector(), after: say('after') }, FAST).catch((e: unknown) => e);
    expect(await steps()).toEqual(['before', 'after']);
    expect(error).toMatchObject({ code: 'gc-before-failed' });
  });

  it('tries after a second time when it fails once, and says so', async () => {
    const shell = new LocalShell();
    const flaky = `if [ -e ${dir}/tried ]; then ${say('after-again')}; else touch ${dir}/tried && ${say('after')} && exit 1; fi`;
    const outcome = await runSweep(shell, { command: collector(), after: flaky }, FAST);
    expect(await steps()).toEqual(['collect', 'after', 'after-again']);
    expect(outcome.afterRetried).toBe('exit 1: (no output)');
  });

  it('fails with gc-after-failed when after fails twice: the registry may be down', async () => {
    const shell = new LocalShell();
    const error = await runSweep(shell, { command: collector(), after: `${say('after')} && echo cannot bind >&2 && exit 1` }, FAST).catch((e: unknown) => e);
    expect(await steps()).toEqual(['collect', 'after', 'after']);
    expect(error).toMatchObject({ code: 'gc-after-failed', message: 'registry_gc.after failed twice (exit 1): cannot bind; the registry may be down' });
  });
});

describe('dryRunSweep', () => {
  it('has nothing to say about a command it cannot safely turn into a dry run', async () => {
    const shell = new LocalShell();
    expect(await dryRunSweep(shell, { command: '/usr/local/bin/registry-gc.sh' })).toEqual({
      notes: ['No dry run: registry_gc.command does not name garbage-collect and no dry_run_command is set'],
    });
    expect(shell.commands).toEqual([]);
  });

  it('measures the eligible blobs where the filesystem driver keeps them', async () => {
    const hex = 'ab'.repeat(32);
    await mkdir(join(data, 'docker/registry/v2/blobs/sha256/ab', hex), { recursive: true });
    await writeFile(join(data, 'docker/registry/v2/blobs/sha256/ab', hex, 'data'), 'y'.repeat(1000));
    const output = `\n1 blobs marked, 1 blobs and 0 manifests eligible for deletion\nblob eligible for deletion: sha256:${hex}\n`;
    const findings = await dryRunSweep(new LocalShell(), { command: 'x', dry_run_command: `printf '${output}'`, data_dir: data });
    expect(findings).toEqual({ report: { markedBlobs: 1, blobs: [`sha256:${hex}`], manifests: [] }, eligibleBytes: 1000, notes: [] });
  });

  it('fails when the dry run fails', async () => {
    const error = await dryRunSweep(new LocalShell(), { command: 'x', dry_run_command: 'echo no config >&2; exit 1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'gc-dry-run-failed', message: "The collector's dry run failed (exit 1): no config" });
  });
});
