import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { isLiveTerminal, type Output } from '../../src/cli/output.js';
import { FRESHEN_VERSION } from '../../src/shared/version.js';

function capture(): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out: (t: string) => void (o.stdout += t.endsWith('\n') ? t : `${t}\n`),
    err: (t: string) => void (o.stderr += t.endsWith('\n') ? t : `${t}\n`),
  };
  return o;
}

function files(contents: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'freshen-cli-'));
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return dir;
}

const freshen = async (...args: string[]) => {
  const output = capture();
  const code = await main(['node', 'freshen', ...args], output);
  return { code, ...output };
};

const inventory = `all:
  vars:
    registry: 127.0.0.1:5055
    registry_auth: { username: ci, password: hunter2-secret }
  children:
    web:
      hosts:
        web1: { docker: { host: "unix:///tmp/none.sock" } }
`;

describe('freshen CLI', () => {
  it('validate accepts the shipped example pair', async () => {
    const r = await freshen('validate', 'playbooks/freshen.yml', '-i', 'inventories/example.yml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/playbooks\/freshen\.yml: valid \(\d+ plays/);
  });

  it('validate prints file:line:col diagnostics for a broken playbook and exits 5, with no stack trace', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [pul, stop]\n' });
    const r = await freshen('validate', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${join(dir, 'play.yml')}:3:11: error:`);
    expect(r.stderr).toMatch(/did you mean "pull"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('sbom wants the registry in the image name, and says so with exit 5', async () => {
    const r = await freshen('sbom', 'nginx:1.27');
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('freshen sbom: nginx:1.27: name the registry too, e.g. 127.0.0.1:5055/vendor/nginx:prod\n');
  });

  it('sbom names a registry that does not answer (exit 4), without the credentials of the inventory', async () => {
    const dir = files({ 'inv.yml': inventory.replace('127.0.0.1:5055', '127.0.0.1:9') });
    const r = await freshen('sbom', '127.0.0.1:9/vendor/x:prod', '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^freshen sbom: 127\.0\.0\.1:9\/vendor\/x:prod: /);
    expect(r.stderr + r.stdout).not.toContain('hunter2-secret');
  });

  it('patch options are checked at load, at their position', async () => {
    const dir = files({
      'inv.yml': inventory,
      'play.yml': '- name: patch\n  hosts: web\n  steps:\n    - patch: { images: [{ from: "a/b:1", to: "Not/Valid" }] }\n',
    });
    const r = await freshen('validate', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${join(dir, 'play.yml')}:4:`);
    expect(r.stderr).toMatch(/a repository name in the registry \(lowercase, like vendor\/nginx\)/);
  });

  it('run refuses invalid input with exit 5 and touches nothing', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: webz\n  steps: [pull]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/webz/);
    expect(r.stdout).not.toMatch(/PLAY/);
  });

  it('run rejects a --limit naming no known host or group', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [pull]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--limit', 'nosuch');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('"nosuch"');
    const typo = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--limit', 'webb:nosuch');
    expect(typo.code).toBe(5);
    expect(typo.stderr).toBe(`freshen: --limit webb:nosuch: no host or group named "webb" (did you mean "web"?), "nosuch" in ${join(dir, 'inv.yml')}\n`);
  });

  it('ping refuses a --limit naming no known host or group the same way, before it connects to anything', async () => {
    const dir = files({ 'inv.yml': inventory });
    const r = await freshen('ping', '-i', join(dir, 'inv.yml'), '--limit', 'webb');
    expect(r.code).toBe(5);
    expect(r.stderr).toBe(`freshen: --limit webb: no host or group named "webb" (did you mean "web"?) in ${join(dir, 'inv.yml')}\n`);
    expect(r.stdout).toBe('');
  });

  it('--dry-run points at --check, and runs nothing', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [pull]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--dry-run');
    expect(r.code).toBe(5);
    expect(r.stderr).toBe('freshen: there is no --dry-run; --check (-C) plans every step, says what would change and changes nothing\n');
    expect(r.stdout).toBe('');
  });

  it('--help shows examples, exit codes and the environment variables', async () => {
    const r = await freshen('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  freshen run playbooks/freshen.yml -i inventories/production.yml --check --diff');
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 +everything ok/);
    expect(r.stdout).toMatch(/ {2}5 +invalid input/);
    for (const name of ['FRESHEN_CACHE_DIR', 'FRESHEN_STATE_DIR', 'FRESHEN_LOCK_DIR', 'DOCKER_CONFIG', 'SSH_AUTH_SOCK', 'FRESHEN_DEBUG'])
      expect(r.stdout).toContain(name);
    const run = await freshen('run', '--help');
    expect(run.stdout).toContain('Examples:');
  });

  it.each([
    ['an unknown option', ['run', 'p.yml', '-i', 'i.yml', '--frobnicate']],
    ['a missing inventory', ['run', 'p.yml']],
    ['a bad --forks', ['run', 'p.yml', '-i', 'i.yml', '--forks', '0']],
  ])('exits 5 on %s', async (_name, args) => {
    expect((await freshen(...args)).code).toBe(5);
  });

  it('run reports an unreachable engine as unreachable and exits 4', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [stop, start]\n' });
    const json = join(dir, 'report.json');
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--json', json);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/unreachable: \[web1\] stop/);
    expect(r.stdout).toMatch(/web1 : ok=0 +changed=0 +unreachable=1 +failed=0 +skipped=0/);
  });

  it('run warns once that a tls: false engine is plain text, and still reaches for it (unreachable here: exit 4)', async () => {
    const plain = inventory.replace('web1: { docker: { host: "unix:///tmp/none.sock" } }', 'web1: { docker: { host: "tcp://127.0.0.1:1", tls: false } }');
    const dir = files({ 'inv.yml': plain, 'play.yml': '- name: roll\n  hosts: web\n  steps: [stop, start]\n- name: again\n  hosts: web\n  steps: [pull]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(4);
    expect(r.stderr.match(/without TLS/g)).toEqual(['without TLS']);
    expect(r.stderr).toContain('the Docker engines of web1 are reached over tcp:// without TLS (tls: false)');
    expect(r.stdout).toMatch(/unreachable: \[web1\] stop/);
  });

  it('run refuses, before anything runs, a host of the run whose TLS or SSH files cannot be read (exit 5); other hosts do not matter', async () => {
    const withFiles = inventory.replace(
      'web1: { docker: { host: "unix:///tmp/none.sock" } }',
      'web1: { docker: { host: "tcp://127.0.0.1:1", tls: { ca: ca.pem, cert: missing-cert.pem, key: ca.pem } } }\n        web2: { docker: { host: "ssh://u@127.0.0.1", identity_file: /nonexistent/key } }',
    );
    const dir = files({ 'inv.yml': withFiles, 'ca.pem': 'x', 'play.yml': '- name: roll\n  hosts: web\n  steps: [stop, start]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`freshen: host web1: Cannot read docker.tls.cert ${join(dir, 'missing-cert.pem')}: it does not exist`);
    expect(r.stderr).toContain('freshen: host web2: Cannot read docker.identity_file /nonexistent/key: it does not exist');
    expect(r.stderr).toContain('nothing was run');
    expect(r.stdout).not.toContain('PLAY');
    const limited = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--limit', 'web1', '--check');
    expect(limited.stderr).not.toContain('host web2');
  });

  it('inventory --list shows merged variables with secrets redacted', async () => {
    const dir = files({ 'inv.yml': inventory });
    const r = await freshen('inventory', '-i', join(dir, 'inv.yml'), '--list');
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout);
    expect(listing._meta.hostvars.web1.registry).toBe('127.0.0.1:5055');
    expect(r.stdout).not.toContain('hunter2-secret');
  });
});

describe('checked before anything runs', () => {
  it('--json into a directory that does not exist: exit 5, nothing run, the step never reached', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [stop, start]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--json', join(dir, 'missing', 'report.json'));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`--json ${join(dir, 'missing', 'report.json')}: the directory ${join(dir, 'missing')} does not exist; nothing was run.`);
    expect(r.stdout).not.toContain('[web1] stop');
  });
});

describe('the version', () => {
  it("is package.json's, which bin/freshen.js answers --version with (from src/shared/version.ts)", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(FRESHEN_VERSION).toBe(pkg.version);
    expect(await freshen('--version')).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });
});

const reportSchema = JSON.parse(readFileSync(new URL('../../schemas/report.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020.default({ allErrors: true, strict: true });
addFormats.default(ajv);
const validReport = ajv.compile(reportSchema);

describe('the run report', () => {
  it('is written on exit 5 too, with what was said and the run facts, and matches its schema', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [pul]\n' });
    const json = join(dir, 'report.json');
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--limit', 'web', '--json', json);
    expect(r.code).toBe(5);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
    expect(validReport(report), JSON.stringify(validReport.errors)).toBe(true);
    expect(report).toMatchObject({
      schema_version: 1,
      freshen_version: FRESHEN_VERSION,
      playbook: join(dir, 'play.yml'),
      inventory: join(dir, 'inv.yml'),
      limit: 'web',
      exit_code: 5,
      check: false,
      plays: [],
      diagnostics: expect.arrayContaining([expect.stringContaining(`${join(dir, 'play.yml')}:3:11: error:`), '1 error; nothing was run.']),
    });
    expect(Date.parse(report.ended_at as string)).toBeGreaterThanOrEqual(Date.parse(report.started_at as string));
    expect(readFileSync(json, 'utf8')).not.toContain('hunter2-secret');
  });

  it('--json - writes the report alone to stdout, and everything for people to stderr', async () => {
    const dir = files({ 'inv.yml': inventory, 'play.yml': '- name: roll\n  hosts: web\n  steps: [pull]\n' });
    const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--check', '--json', '-');
    expect(r.code).toBe(4); // web1's engine socket does not exist
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(validReport(report), JSON.stringify(validReport.errors)).toBe(true);
    expect(report).toMatchObject({ exit_code: 4, check: true, recap: { web1: { unreachable: 1 } } });
    expect(r.stderr).toContain('CHECK MODE: nothing will be changed');
    expect(r.stderr).toMatch(/web1 +: ok=0 +changed=0 +unreachable=1/);
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
  });
});

describe('the live view', () => {
  it.each([
    [{ isTTY: true, columns: 120 }, true],
    [{ isTTY: true, columns: 0 }, false],
    [{ isTTY: true }, false],
    [{ isTTY: false, columns: 120 }, false],
  ])('is used on %o: %s', (stream, live) => {
    expect(isLiveTerminal(stream)).toBe(live);
  });
});

describe('shell completion', () => {
  /** What bash's completion offers for the words typed so far, with the script freshen prints loaded. */
  async function bashCompletes(typed: string[]): Promise<string[]> {
    const script = (await freshen('completion', 'bash')).stdout;
    const words = ['freshen', ...typed].map((w) => `'${w}'`).join(' ');
    const program = `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${typed.length}; _freshen; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  }

  it('bash completes commands, and each command its own options', async () => {
    expect(await bashCompletes(['r'])).toEqual(['rollback', 'run']);
    expect(await bashCompletes(['run', '--ch'])).toEqual(['--check']);
    expect(await bashCompletes(['status', '--ht'])).toEqual(['--html']);
    expect(await bashCompletes(['validate', '--ch'])).toEqual([]);
    // --dry-run is not offered: it only says to use --check.
    expect(await bashCompletes(['run', '--dr'])).toEqual([]);
  });

  it('zsh loads the same function through bashcompinit; fish lists every command and option', async () => {
    const zsh = (await freshen('completion', 'zsh')).stdout;
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh).toContain('complete -o filenames -F _freshen freshen');
    const fish = (await freshen('completion', 'fish')).stdout;
    expect(fish).toContain("complete -c freshen -n '__fish_seen_subcommand_from run' -s C -l check -d 'plan and report what would change; change nothing'");
    expect(fish).toContain(
      "complete -c freshen -n '__fish_seen_subcommand_from run' -s i -l inventory -r -F -d 'inventory: a YAML or INI file or a directory of them (repeatable: later ones override earlier ones)'",
    );
    expect(fish).toContain("-a status -d 'Show what is stale and why");
  });

  it('refuses a shell it has no script for', async () => {
    const r = await freshen('completion', 'tcsh');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Allowed choices are bash, zsh, fish');
  });
});

describe('timeouts', () => {
  it('an inventory sets them, a run gives up after them and names the setting', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const dir = files({
        'inv.yml': `all:\n  vars:\n    registry: 127.0.0.1:9\n    timeouts: { engine: 500ms }\n  hosts:\n    web1: { docker: { host: "tcp://127.0.0.1:${port}", tls: false } }\n`,
        'play.yml': '- name: roll\n  hosts: all\n  steps: [pull]\n',
      });
      const r = await freshen('run', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'), '--check');
      expect(r.code).toBe(4);
      expect(r.stdout).toContain(`Docker Engine at tcp://127.0.0.1:${port} did not answer a ping within 500ms (timeouts.engine)`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('a value that is no duration, or zero, is refused at its position', async () => {
    const dir = files({
      'inv.yml': 'all:\n  vars:\n    timeouts: { ssh: soon, registry: 0 }\n  hosts: { h: {} }\n',
      'play.yml': '- name: p\n  hosts: all\n  steps: [pull]\n',
    });
    const r = await freshen('validate', join(dir, 'play.yml'), '-i', join(dir, 'inv.yml'));
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(
      `${join(dir, 'inv.yml')}:3:22: error: "timeouts.ssh" is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)`,
    );
    expect(r.stderr).toContain('"timeouts.registry" must be above zero');
  });
});
