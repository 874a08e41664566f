// scripts/lab/debian.sh's debian_mirrors: which Debian mirror `lab.sh debian` bootstraps from, read from apt's sources.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const LAB = resolve(import.meta.dirname, '../../scripts/lab');

function mirrors(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'freshen-sources-'));
  const paths = Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  const script = `source "${LAB}/common.sh"; source "${LAB}/install.sh"; source "${LAB}/content.sh"; source "${LAB}/debian.sh"; debian_mirrors "$@"`;
  try {
    return execFileSync('bash', ['-c', script, '_', ...paths], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return 'failed';
  }
}

describe('debian_mirrors', () => {
  it.each([
    {
      name: 'deb822 with a security entry',
      files: {
        'debian.sources': [
          'Types: deb',
          '# a comment',
          'URIs: http://deb.debian.org/debian',
          'Suites: bookworm bookworm-updates',
          'Components: main',
          '',
          'Types: deb',
          'URIs: http://deb.debian.org/debian-security/',
          'Suites: bookworm-security',
          'Components: main',
        ].join('\n'),
      },
      expected: 'main http://deb.debian.org/debian\nsecurity http://deb.debian.org/debian-security\n',
    },
    {
      name: 'one-line sources with options, deb-src ignored',
      files: {
        'sources.list': [
          'deb-src http://src.example/debian bookworm main',
          'deb [arch=amd64 signed-by=/k.gpg] http://ftp.de.debian.org/debian bookworm main',
          'deb http://security.debian.org/debian-security bookworm-security main',
        ].join('\n'),
      },
      expected: 'main http://ftp.de.debian.org/debian\nsecurity http://security.debian.org/debian-security\n',
    },
    {
      name: 'no security entry: the main host with /debian-security',
      files: { 'mirror.list': 'deb http://mirror.example.org/debian bookworm main\n' },
      expected: 'main http://mirror.example.org/debian\nsecurity http://mirror.example.org/debian-security\n',
    },
    { name: 'no Debian entry at all', files: { 'other.sources': 'Types: deb-src\nURIs: http://x/debian\nSuites: bookworm\n' }, expected: 'failed' },
  ])('$name', ({ files, expected }) => {
    expect(mirrors(files as unknown as Record<string, string>)).toBe(expected);
  });
});
