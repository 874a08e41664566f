import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/model/inventory.js';
import { lockHosts, lockKey, tryLockHosts, type LockHolder } from '../../src/runner/runLock.js';

const host = (name: string, socket = `/run/${name}.sock`): Host => ({ name, groups: ['all'], vars: { docker: { host: `unix://${socket}` } } });
const dir = () => mkdtempSync(join(tmpdir(), 'freshen-lock-'));
const deadPid = (): number => spawnSync('true').pid!;
const holderFile = (d: string, h: Host, holder: LockHolder) => writeFileSync(join(d, lockKey(h)), JSON.stringify(holder));

describe('run locks', () => {
  it('takes every host lock, and a second run is refused naming the holder', () => {
    const d = dir();
    const first = tryLockHosts([host('web1'), host('web2')], 'freshen run a.yml', d);
    expect(first.ok).toBe(true);
    const second = tryLockHosts([host('web2'), host('web3')], 'freshen run b.yml', d);
    expect(second).toMatchObject({ ok: false, host: 'web2', holder: { pid: process.pid, command: 'freshen run a.yml' } });
    // All or none: the refused run left no lock behind on web3.
    expect(readdirSync(d).filter((f) => f.startsWith('web3'))).toEqual([]);
    if (first.ok) first.locks.release();
    expect(readdirSync(d)).toEqual([]);
    expect(tryLockHosts([host('web2')], 'freshen run b.yml', d).ok).toBe(true);
  });

  it('treats one engine reached under two inventory names as one lock only when the endpoint matches', () => {
    expect(lockKey(host('web1', '/run/a.sock'))).not.toBe(lockKey(host('web1', '/run/b.sock')));
    expect(lockKey(host('web1'))).toBe(lockKey(host('web1')));
  });

  it('clears a stale lock left by a killed run on this machine', () => {
    const d = dir();
    const h = host('web1');
    holderFile(d, h, { pid: deadPid(), machine: hostname(), started: '2026-01-01T00:00:00Z', command: 'freshen run killed.yml' });
    const attempt = tryLockHosts([h], 'freshen run next.yml', d);
    expect(attempt.ok).toBe(true);
    expect(existsSync(join(d, lockKey(h)))).toBe(true);
  });

  it('never clears a lock held from another machine', () => {
    const d = dir();
    const h = host('web1');
    holderFile(d, h, { pid: deadPid(), machine: 'some-other-machine', started: '2026-01-01T00:00:00Z', command: 'freshen run x.yml' });
    expect(tryLockHosts([h], 'freshen run y.yml', d)).toMatchObject({ ok: false, holder: { machine: 'some-other-machine' } });
  });

  it('waits for a lock to be released when given time', async () => {
    const d = dir();
    const first = tryLockHosts([host('web1')], 'first', d);
    if (!first.ok) throw new Error('first lock not taken');
    setTimeout(() => first.locks.release(), 300);
    const second = await lockHosts([host('web1')], 'second', 10_000, new AbortController().signal, d);
    expect(second.ok).toBe(true);
  });
});
