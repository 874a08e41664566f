// `freshen ping` against the lab: every host's engine (unix:// and ssh://, with the API version it negotiated), the registry
// host's SSH, the registry once, each with its time; a host that cannot be reached fails its row and the exit is 4.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_INVENTORY } from '../support/lab.js';
import { freshen } from './rollout.helpers.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-ping-'));
});

describe('freshen ping', () => {
  it('checks every transport of every lab host and says what it found', async () => {
    const r = await freshen(['ping', '-i', LAB_INVENTORY], join(dir, 'locks'));
    expect(r.stderr).toBe('');
    expect(r.code, r.stdout).toBe(0);
    const row = (host: string, check: string) => r.stdout.split('\n').find((line) => new RegExp(`^${host} +${check} `).test(line));
    expect(row('build1', 'engine')).toMatch(/unix:\/\/\S+\/build1\/docker\.sock +ok: API 1\.\d+, Docker \S+, no swarm +\d/);
    expect(row('web1', 'engine')).toMatch(/ssh:\/\/root@127\.0\.0\.1:2222 +ok: API 1\.\d+, Docker \S+, no swarm +\d/);
    expect(row('registry1', 'ssh')).toMatch(/root@127\.0\.0\.1:2222 +ok: logged in, ran `true`/);
    expect(row('-', 'registry')).toMatch(/http:\/\/127\.0\.0\.1:5055 +ok: answered, without credentials/);
    expect(r.stdout).toContain('6 checks of 5 hosts: all ok');
  });

  it('a host it cannot reach fails its row with the reason, and the exit is 4; --limit narrows the checks', async () => {
    const lab = await readFile(LAB_INVENTORY, 'utf8');
    const inventory = join(dir, 'with-a-dead-host.yml');
    const gone = join(dir, 'gone.sock');
    await writeFile(
      inventory,
      lab.replace('    web:\n      hosts:\n', `    web:\n      hosts:\n        web9:\n          docker: { host: "unix://${gone}" }\n`),
    );
    const r = await freshen(['ping', '-i', inventory], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(
      new RegExp(`^web9 +engine +unix://${gone} +FAILED: Docker Engine at unix://${gone} could not be reached: no such socket +\\d`, 'm'),
    );
    expect(r.stdout).toContain('7 checks of 6 hosts: 1 failed');
    const limited = await freshen(['ping', '-i', inventory, '--limit', 'web1'], join(dir, 'locks'));
    expect(limited.code).toBe(0);
    expect(limited.stdout).toContain('2 checks of 1 host: all ok');
  });
});
