// ~/.ssh/config as `ssh` reads it, for the endpoints freshen connects to: Host aliases fill in what the inventory leaves out.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { withSshConfig } from '../../src/adapters/sshConfig.js';

function config(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 't-ssh-config-')), 'config');
  writeFileSync(file, text);
  return file;
}

const CONFIG = `
Host web-*
  User deploy
  IdentityFile ~/.ssh/fleet
Host web-1
  HostName 10.0.0.11
  Port 2200
  ProxyJump ops@bastion:2022
Host bastion
  HostName bastion.example.org
  IdentityFile ~/.ssh/bastion
  UserKnownHostsFile ~/.ssh/known_bastions ~/.ssh/other
Host two-hops
  HostName %h.internal
  ProxyJump bastion,inner
Host loop-a
  ProxyJump loop-b
Host loop-b
  ProxyJump loop-a
Host direct
  ProxyJump none
`;

describe('withSshConfig', () => {
  it('fills HostName, Port, User, IdentityFile and ProxyJump from the alias, each hop resolved too', async () => {
    expect(await withSshConfig({ host: 'web-1' }, config(CONFIG))).toEqual({
      host: '10.0.0.11',
      port: 2200,
      user: 'deploy',
      identity_file: '~/.ssh/fleet',
      jump: { host: 'bastion.example.org', port: 2022, user: 'ops', identity_file: '~/.ssh/bastion', known_hosts: '~/.ssh/known_bastions' },
    });
  });

  it('what the inventory says wins over the config', async () => {
    const resolved = await withSshConfig({ host: 'web-1', user: 'root', port: 22, identity_file: '/keys/own' }, config(CONFIG));
    expect(resolved).toMatchObject({ host: '10.0.0.11', user: 'root', port: 22, identity_file: '/keys/own' });
  });

  it('two hops chain in order; %h is the alias; ProxyJump none means direct', async () => {
    const resolved = await withSshConfig({ host: 'two-hops' }, config(CONFIG));
    expect(resolved.host).toBe('two-hops.internal');
    expect(resolved.jump?.host).toBe('inner');
    expect(resolved.jump?.jump?.host).toBe('bastion.example.org');
    expect((await withSshConfig({ host: 'direct' }, config(CONFIG))).jump).toBeUndefined();
  });

  it('a ProxyJump loop is an error, not a hang; no config file leaves the endpoint as it is (the user defaults to yours)', async () => {
    await expect(withSshConfig({ host: 'loop-a' }, config(CONFIG))).rejects.toThrow('goes through more than 5 bastions; is the SSH config a loop?');
    expect(await withSshConfig({ host: 'h', port: 2 }, join(tmpdir(), 'no-such-ssh-config-t'))).toEqual({ host: 'h', port: 2, user: userInfo().username });
  });
});
