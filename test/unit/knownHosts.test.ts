import { describe, expect, it } from 'vitest';
import { fingerprint, keyTypeOfBlob, knownHostsName, knownKeyTypes, parseKnownHosts, verifyHostKey } from '../../src/adapters/knownHosts.js';

// Real keys from ssh-keygen; the hashed lines were written by `ssh-keygen -H` (example.org → K1, [127.0.0.1]:2222 → K2).
const K1 = 'AAAAC3NzaC1lZDI1NTE5AAAAIEZbdamH30lKfp1ne8+X5x+1m1YNcmpHacFXUmYock1f';
const K2 = 'AAAAC3NzaC1lZDI1NTE5AAAAIC88dFmcKShh560bV6OJcvcnBXQldfgR1CIreZqW3a+8';
const K3 = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJ2pblBpRWURGalOfmPmVCDnLryRaAo/MmVa64F5AJ0PkO7cnaYkVA8AalBvYQb+a5xCOmFM+GZmeE2wJ/FB18Q=';
const HASHED_EXAMPLE_ORG = '|1|YTM2h5YfwMM4m94Z3m/HuDaqS7I=|Sybvk+CbIovHo4lr9wliNldv6vw=';
const HASHED_LOOPBACK_2222 = '|1|iMM7bYRmvuje0khyX4TXaKfFCUw=|5IjFokGlqCPahhRg6KPapg5FRr8=';

const blob = (base64: string): Buffer => Buffer.from(base64, 'base64');

const KNOWN_HOSTS = [
  '# a comment, then a blank line',
  '',
  `plain.example.org ssh-ed25519 ${K1} comment words`,
  `[10.0.0.5]:2200,alias.example.org ssh-ed25519 ${K2}`,
  `${HASHED_EXAMPLE_ORG} ssh-ed25519 ${K1}`,
  `${HASHED_LOOPBACK_2222} ssh-ed25519 ${K2}`,
  `*.wild.example.org,!bad.wild.example.org ssh-ed25519 ${K1}`,
  `multi.example.org ssh-ed25519 ${K1}`,
  `multi.example.org ecdsa-sha2-nistp256 ${K3}`,
  `@revoked revoked.example.org ssh-ed25519 ${K2}`,
  `revoked.example.org ssh-ed25519 ${K2}`,
  `@cert-authority *.example.org ssh-ed25519 ${K3}`,
  'garbage-line-without-key',
].join('\n');

describe('verifyHostKey', () => {
  it.each([
    { name: 'plain host, same key', host: 'plain.example.org', port: 22, type: 'ssh-ed25519', key: K1, verdict: 'match' },
    { name: 'plain host, other key', host: 'plain.example.org', port: 22, type: 'ssh-ed25519', key: K2, verdict: 'mismatch' },
    { name: 'host names are case-insensitive', host: 'PLAIN.example.org', port: 22, type: 'ssh-ed25519', key: K1, verdict: 'match' },
    { name: 'plain host on another port is a different name', host: 'plain.example.org', port: 2222, type: 'ssh-ed25519', key: K1, verdict: 'unknown' },
    { name: '[host]:port entry', host: '10.0.0.5', port: 2200, type: 'ssh-ed25519', key: K2, verdict: 'match' },
    { name: '[host]:port entry, wrong port', host: '10.0.0.5', port: 22, type: 'ssh-ed25519', key: K2, verdict: 'unknown' },
    { name: 'second name of a comma list', host: 'alias.example.org', port: 22, type: 'ssh-ed25519', key: K2, verdict: 'match' },
    { name: 'hashed host', host: 'example.org', port: 22, type: 'ssh-ed25519', key: K1, verdict: 'match' },
    { name: 'hashed host, other key', host: 'example.org', port: 22, type: 'ssh-ed25519', key: K2, verdict: 'mismatch' },
    { name: 'hashed [host]:port', host: '127.0.0.1', port: 2222, type: 'ssh-ed25519', key: K2, verdict: 'match' },
    { name: 'hashed [host]:port, other key', host: '127.0.0.1', port: 2222, type: 'ssh-ed25519', key: K1, verdict: 'mismatch' },
    { name: 'wildcard pattern', host: 'a.wild.example.org', port: 22, type: 'ssh-ed25519', key: K1, verdict: 'match' },
    { name: 'negated pattern excludes', host: 'bad.wild.example.org', port: 22, type: 'ssh-ed25519', key: K1, verdict: 'unknown' },
    { name: 'key type not listed for the host', host: 'plain.example.org', port: 22, type: 'ecdsa-sha2-nistp256', key: K3, verdict: 'unknown' },
    { name: 'second key type listed', host: 'multi.example.org', port: 22, type: 'ecdsa-sha2-nistp256', key: K3, verdict: 'match' },
    { name: 'revoked key wins over a plain line', host: 'revoked.example.org', port: 22, type: 'ssh-ed25519', key: K2, verdict: 'revoked' },
    { name: 'cert-authority lines are not host keys', host: 'other.example.org', port: 22, type: 'ssh-ed25519', key: K3, verdict: 'unknown' },
    { name: 'unlisted host', host: 'nowhere.example.org', port: 22, type: 'ssh-ed25519', key: K1, verdict: 'unknown' },
  ])('$name → $verdict', ({ host, port, type, key, verdict }) => {
    expect(verifyHostKey(KNOWN_HOSTS, host, port, type, blob(key))).toBe(verdict);
  });

  it('treats an empty file as knowing nothing', () => {
    expect(verifyHostKey('', 'example.org', 22, 'ssh-ed25519', blob(K1))).toBe('unknown');
  });

  it('accepts CRLF line endings', () => {
    expect(verifyHostKey(`x.example.org ssh-ed25519 ${K1}\r\n`, 'x.example.org', 22, 'ssh-ed25519', blob(K1))).toBe('match');
  });
});

describe('parseKnownHosts', () => {
  it('keeps usable lines with their line numbers and markers', () => {
    const entries = parseKnownHosts(KNOWN_HOSTS);
    expect(entries.map((entry) => [entry.line, entry.marker ?? '', entry.patterns.join(','), entry.keyType])).toEqual([
      [3, '', 'plain.example.org', 'ssh-ed25519'],
      [4, '', '[10.0.0.5]:2200,alias.example.org', 'ssh-ed25519'],
      [5, '', HASHED_EXAMPLE_ORG, 'ssh-ed25519'],
      [6, '', HASHED_LOOPBACK_2222, 'ssh-ed25519'],
      [7, '', '*.wild.example.org,!bad.wild.example.org', 'ssh-ed25519'],
      [8, '', 'multi.example.org', 'ssh-ed25519'],
      [9, '', 'multi.example.org', 'ecdsa-sha2-nistp256'],
      [10, 'revoked', 'revoked.example.org', 'ssh-ed25519'],
      [11, '', 'revoked.example.org', 'ssh-ed25519'],
    ]);
  });
});

describe('helpers', () => {
  it('names a host as OpenSSH looks it up', () => {
    expect([knownHostsName('h', 22), knownHostsName('h', 2222), knownHostsName('h')]).toEqual(['h', '[h]:2222', 'h']);
  });

  it('lists the key types known for a host, revoked ones excluded', () => {
    expect(knownKeyTypes(KNOWN_HOSTS, 'multi.example.org')).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(knownKeyTypes(KNOWN_HOSTS, '127.0.0.1', 2222)).toEqual(['ssh-ed25519']);
    expect(knownKeyTypes(KNOWN_HOSTS, 'nowhere.example.org')).toEqual([]);
  });

  it('reads the key type inside a blob', () => {
    expect(keyTypeOfBlob(blob(K1))).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(blob(K3))).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOfBlob(Buffer.from([0, 0, 0, 9, 1]))).toBeUndefined();
  });

  it('prints fingerprints as ssh-keygen -l does', () => {
    // Printed by `ssh-keygen -l -f` for K1.
    expect(fingerprint(blob(K1))).toBe('SHA256:nz0jPIG2/jj5SnWwGPMlPWzXDNhCWgvgOW/hxLGpqRY');
  });
});
