// The scheduling examples users copy (examples/schedule, examples/ci): the systemd units pass `systemd-analyze verify`
// (with ExecStart pointed at this checkout's freshen, since verify checks that the program exists), and every command line
// they run uses only flags `freshen run` has, and takes its secrets from the environment, never from the file.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/lab.js';
import { FRESHEN, freshen } from './rollout.helpers.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const run = promisify(execFile);

/** The flags of `freshen run`, from its own help. */
async function runFlags(): Promise<Set<string>> {
  const help = await freshen(['run', '--help'], join(tmpdir(), 'freshen-schedule-locks'));
  return new Set([...help.stdout.matchAll(/(?:^|\s)(--?[a-z][a-z-]*)/g)].map((m) => m[1]!));
}

/** The flags a `freshen run …` command line uses. */
const flagsOf = (command: string): string[] => [...command.slice(command.indexOf('freshen run')).matchAll(/(?:^|[\s'"+])(--?[a-z][a-z-]*)/g)].map((m) => m[1]!);

describe('the scheduling examples', () => {
  it('the systemd service and timer pass systemd-analyze verify, and a broken timer does not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 't-schedule-'));
    const service = (await readFile(join(EXAMPLES, 'schedule/freshen.service'), 'utf8')).replace('/usr/local/bin/freshen', FRESHEN);
    expect(service).toContain(`ExecStart=${FRESHEN} run `);
    await writeFile(join(dir, 'freshen.service'), service);
    await copyFile(join(EXAMPLES, 'schedule/freshen.timer'), join(dir, 'freshen.timer'));
    const verified = await run('systemd-analyze', ['verify', join(dir, 'freshen.service'), join(dir, 'freshen.timer')]);
    // verify exits 0 on settings it ignores, so a warning fails the test too.
    expect(verified.stderr).toBe('');

    const timer = await readFile(join(EXAMPLES, 'schedule/freshen.timer'), 'utf8');
    await writeFile(join(dir, 'freshen.timer'), timer.replace(/^OnCalendar=.*$/m, 'OnCalendar=nightly-ish'));
    const broken = await run('systemd-analyze', ['verify', join(dir, 'freshen.service'), join(dir, 'freshen.timer')]).catch((e: { stderr: string }) => e);
    expect(broken.stderr).toMatch(/Failed to parse calendar specification/);
  });

  it('every freshen command line of the examples uses flags freshen run has, and no secret is written in them', async () => {
    const flags = await runFlags();
    const service = await readFile(join(EXAMPLES, 'schedule/freshen.service'), 'utf8');
    const github = parse(await readFile(join(EXAMPLES, 'ci/github-actions.yml'), 'utf8')) as {
      on: { schedule: Array<{ cron: string }> };
      jobs: Record<string, { steps: Array<{ run?: string; env?: Record<string, string> }> }>;
    };
    const gitlab = parse(await readFile(join(EXAMPLES, 'ci/gitlab-ci.yml'), 'utf8')) as Record<string, { script: string[] }>;
    const githubRun = github.jobs.freshen!.steps.find((s) => s.run?.includes('freshen run'))!;
    const commands = [
      service.match(/^ExecStart=(.*)$/m)![1]!,
      githubRun.run!,
      gitlab.freshen!.script.find((line) => line.includes('freshen run'))!,
      (await readFile(join(REPO_ROOT, 'docs/scheduling.md'), 'utf8')).match(/^\d+ \d+ \* \* \* .*freshen run.*$/m)![0],
    ];
    for (const command of commands) {
      expect(command).toMatch(/freshen run \S+\.yml -i \S+\.yml/);
      for (const flag of flagsOf(command)) expect(flags, `${flag} in: ${command}`).toContain(flag);
    }
    expect(github.on.schedule[0]!.cron).toMatch(/^\d+ \d+ \* \* \*$/);
    // Secrets come from the CI's store into the environment, by name.
    expect(Object.values(githubRun.env ?? {}).every((value) => /^\$\{\{ secrets\.[A-Z_]+ \}\}$/.test(value))).toBe(true);
    const settings = service
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
    for (const text of [settings, JSON.stringify(github), JSON.stringify(gitlab)]) expect(text).not.toMatch(/password\s*[:=]\s*[^$\s{]/i);
  });
});
