// The guard's shell text, run by a real sh against a stand-in `docker` on PATH (a script that logs its arguments and answers from
// a directory of fake containers), beside the lab tests that run it against real dockerds.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUARD_SCRIPT, placeGuardCommand, releaseGuardCommand, renewGuardCommand } from '../../src/containers/guardScript.js';

/** A `docker` that knows containers as files: `NAME` holds `running/health`; rename moves the file; start and stop rewrite it. */
const FAKE_DOCKER = `#!/bin/sh
echo "$*" >> "$STATE/calls"
case $1 in
  inspect) f="$STATE/c/$(eval echo \\\${$#})"; [ -f "$f" ] || exit 1; case "$*" in *-f*) cat "$f" ;; esac ;;
  rename) [ -f "$STATE/c/$2" ] && [ ! -f "$STATE/c/$3" ] && mv "$STATE/c/$2" "$STATE/c/$3" ;;
  stop) f="$STATE/c/$(eval echo \\\${$#})"; [ -f "$f" ] && echo "false/" > "$f" ;;
  start) f="$STATE/c/$(eval echo \\\${$#})"; [ -f "$f" ] && echo "true/" > "$f" ;;
  *) exit 2 ;;
esac
`;

/**
 * A `date` whose epoch seconds (`date +%s`, the only clock the guard compares) come from \`$STATE/now\`, so a test moves the
 * guard's clock instead of waiting for it. Each such read is counted in \`$STATE/ticks\`, before it reads: a count that grew
 * after the test moved the clock proves the guard read the new time. Other formats (the log's timestamps) are the real date.
 */
const FAKE_DATE = `#!/bin/sh
if [ "$*" = "+%s" ]; then echo >> "$STATE/ticks"; cat "$STATE/now"; else PATH=/usr/bin:/bin exec date "$@"; fi
`;

function world(containers: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'freshen-guard-test-'));
  execFileSync('mkdir', ['-p', join(dir, 'bin'), join(dir, 'c'), join(dir, 'g')]);
  writeFileSync(join(dir, 'bin', 'docker'), FAKE_DOCKER);
  chmodSync(join(dir, 'bin', 'docker'), 0o755);
  writeFileSync(join(dir, 'bin', 'date'), FAKE_DATE);
  chmodSync(join(dir, 'bin', 'date'), 0o755);
  writeFileSync(join(dir, 'now'), '1000\n');
  for (const [name, state] of Object.entries(containers)) writeFileSync(join(dir, 'c', name), `${state}\n`);
  const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, STATE: dir, XDG_RUNTIME_DIR: join(dir, 'g') };
  const sh = (command: string) => execFileSync('sh', ['-c', command], { env, encoding: 'utf8' });
  const state = (name: string) => (existsSync(join(dir, 'c', name)) ? readFileSync(join(dir, 'c', name), 'utf8').trim() : 'missing');
  const ticks = () => (existsSync(join(dir, 'ticks')) ? readFileSync(join(dir, 'ticks'), 'utf8').length : 0);
  /** Sets the guard's clock, then waits until a running guard has read it twice: once to decide, once more to prove it went on. */
  const clockAt = async (epochSeconds: number) => {
    writeFileSync(join(dir, 'now'), `${epochSeconds}\n`);
    const seen = ticks();
    await waitUntil(() => ticks() >= seen + 2, GUARD_LOOP_MS);
  };
  return { dir, env, sh, state, clockAt };
}

/** Runs the guard in the foreground with its deadline already passed, so it acts at once. */
function runExpiredGuard(w: ReturnType<typeof world>, names: Array<{ name: string; running: boolean }>): string {
  const guardDir = join(w.dir, 'g', 'ab.cd');
  execFileSync('mkdir', ['-p', guardDir]);
  writeFileSync(join(guardDir, 'names'), names.map((n) => `${n.name} ${n.running ? 1 : 0}\n`).join(''));
  writeFileSync(join(guardDir, 'deadline'), '0\n');
  writeFileSync(join(guardDir, 'guard.sh'), GUARD_SCRIPT);
  execFileSync('sh', [join(guardDir, 'guard.sh'), guardDir], { env: w.env });
  expect(existsSync(guardDir)).toBe(false);
  return readFileSync(join(w.dir, 'g', 'ab.log'), 'utf8');
}

describe('the guard script', () => {
  it('puts back a parked container whose replacement never started, and starts it', () => {
    const w = world({ 'web.freshen-old': 'false/' });
    const log = runExpiredGuard(w, [{ name: 'web', running: true }]);
    expect(w.state('web')).toBe('true/');
    expect(w.state('web.freshen-old')).toBe('missing');
    expect(log).toContain('restored web and started it');
  });

  it('moves an unhealthy replacement aside (stopped, never removed) before it restores the old one', () => {
    const w = world({ 'web.freshen-old': 'false/', web: 'true/starting' });
    runExpiredGuard(w, [{ name: 'web', running: true }]);
    expect(w.state('web')).toBe('true/');
    expect(w.state('web.freshen-new')).toBe('false/');
    expect(readFileSync(join(w.dir, 'calls'), 'utf8')).not.toMatch(/^rm /m);
  });

  it('leaves a serving replacement alone, and restores a container that was not running without starting it', () => {
    const w = world({ 'web.freshen-old': 'false/', web: 'true/healthy', 'api.freshen-old': 'false/' });
    const log = runExpiredGuard(w, [
      { name: 'web', running: true },
      { name: 'api', running: false },
    ]);
    expect(w.state('web')).toBe('true/healthy');
    expect(w.state('web.freshen-old')).toBe('false/');
    expect(w.state('api')).toBe('false/');
    expect(log).toContain('web serves; web.freshen-old is left for the next run');
    expect(log).toContain('restored api (it was not running)');
  });

  it('finishes a start-first handover: the healthy replacement gets the name', () => {
    const w = world({ 'web.freshen-old': 'false/', 'web.freshen-new': 'true/healthy' });
    runExpiredGuard(w, [{ name: 'web', running: true }]);
    expect(w.state('web')).toBe('true/healthy');
    expect(w.state('web.freshen-old')).toBe('false/');
  });

  it('stops a start-first replacement that never got the name while the original serves', () => {
    const w = world({ web: 'true/', 'web.freshen-new': 'true/starting' });
    runExpiredGuard(w, [{ name: 'web', running: true }]);
    expect(w.state('web')).toBe('true/');
    expect(w.state('web.freshen-new')).toBe('false/');
  });

  it('a live guard waits while renewed, acts once the deadline passes, and a released one exits without acting', async () => {
    const w = world({ 'web.freshen-old': 'false/' });
    // The clock starts at 1000: the deadline is 1003.
    const guardDir = w.sh(placeGuardCommand('a2', '01', 'unix:///nowhere.sock', [{ name: 'web', running: true }], 3)).trim();
    expect(guardDir).toMatch(/\/freshen-guard-\d+\/a2\.01$/);
    await w.clockAt(1002);
    expect(w.state('web')).toBe('missing');
    expect(w.sh(renewGuardCommand(guardDir, 3))).toBe('');
    // Past the first deadline, before the renewed one (1005).
    await w.clockAt(1004);
    expect(w.state('web')).toBe('missing');
    writeFileSync(join(w.dir, 'now'), '1005\n');
    await waitUntil(() => w.state('web') === 'true/', GUARD_LOOP_MS);
    // The guard removes its directory right after it acts, not in the same instant: wait for that event too.
    await waitUntil(() => !existsSync(guardDir), GUARD_LOOP_MS);
    expect(() => w.sh(renewGuardCommand(guardDir, 3))).toThrow();

    const again = w.sh(placeGuardCommand('a3', '01', 'unix:///nowhere.sock', [{ name: 'api', running: true }], 2)).trim();
    writeFileSync(join(w.dir, 'c', 'api.freshen-old'), 'false/\n');
    // Released only once it runs: a release before the guard's shell has read its script leaves nothing to log (and nothing to guard).
    await waitUntil(() => existsSync(join(again, 'pid')), GUARD_LOOP_MS);
    w.sh(releaseGuardCommand(again));
    const log = join(dirname(again), 'a3.log');
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('released'), GUARD_LOOP_MS);
    expect(w.state('api.freshen-old')).toBe('false/');
  }, 120_000);

  it("a new placement for the host stops the earlier run's guard, which then never acts", async () => {
    const w = world({ 'web.freshen-old': 'false/' });
    const first = w.sh(placeGuardCommand('a4', '01', 'unix:///nowhere.sock', [{ name: 'web', running: true }], 2)).trim();
    await waitUntil(() => existsSync(join(first, 'pid')), GUARD_LOOP_MS);
    const pid = Number(readFileSync(join(first, 'pid'), 'utf8'));
    const second = w.sh(placeGuardCommand('a4', '02', 'unix:///nowhere.sock', [{ name: 'web', running: true }], 60)).trim();
    expect(existsSync(first)).toBe(false);
    await waitUntil(() => !isAlive(pid), GUARD_LOOP_MS);
    // Past the first guard's deadline (1002), seen by the second guard: the parked container is still parked, since only the
    // second guard watches now.
    await w.clockAt(1010);
    expect(w.state('web.freshen-old')).toBe('false/');
    w.sh(releaseGuardCommand(second));
  }, 120_000);

  it('refuses a name that is not a container name', () => {
    expect(() => placeGuardCommand('a1', '01', 'unix:///x', [{ name: 'web; rm -rf /', running: true }], 10)).toThrow('not a container name');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * How long a wait for the guard may take: it loops once a second, so on a quiet machine every event here comes within about
 * one; a loaded one can hold a `sleep 1` and a shell's start back for many. Generous on purpose: nothing here measures speed.
 */
const GUARD_LOOP_MS = 30_000;

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
