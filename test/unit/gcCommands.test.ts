import { describe, expect, it } from 'vitest';
import {
  blobDataPath,
  blobSizesCommand,
  duCommand,
  dryRunCommand,
  parseCollectorOutput,
  parseDuBytes,
  parseDuTotal,
  shellQuote,
} from '../../src/steps/gc/commands.js';

const hex = (c: string): string => c.repeat(64);

describe('shellQuote', () => {
  it.each([
    ['/var/lib/docker-registry', '/var/lib/docker-registry'],
    ['/srv/my registry', "'/srv/my registry'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
    ['a;rm -rf /', "'a;rm -rf /'"],
    ['', "''"],
  ])('%j → %j', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });
});

describe('duCommand', () => {
  it.each([
    ['/var/lib/docker-registry', 'du -sb /var/lib/docker-registry'],
    ['/tmp/freshen lab/registry', "du -sb '/tmp/freshen lab/registry'"],
  ])('%s', (dir, command) => {
    expect(duCommand(dir)).toBe(command);
  });
});

describe('parseDuBytes', () => {
  it.each([
    ['273433\t/tmp/reg\n', 273433],
    ['du: cannot read x\n1024\t/srv\n', 1024],
    ['', undefined],
    ['du: cannot access /nope: No such file or directory\n', undefined],
  ])('%j → %s', (stdout, bytes) => {
    expect(parseDuBytes(stdout)).toBe(bytes);
  });
});

describe('dryRunCommand', () => {
  it.each([
    [
      'docker-registry garbage-collect /etc/docker/registry/config.yml --delete-untagged',
      'docker-registry garbage-collect --dry-run /etc/docker/registry/config.yml --delete-untagged',
    ],
    [
      'docker exec registry registry garbage-collect /etc/docker/registry/config.yml',
      'docker exec registry registry garbage-collect --dry-run /etc/docker/registry/config.yml',
    ],
    ['registry garbage-collect', 'registry garbage-collect --dry-run'],
    ['registry garbage-collect --dry-run cfg.yml', 'registry garbage-collect --dry-run cfg.yml'],
    // A wrapper script: appending a flag could run it for real, so there is no derived dry run.
    ['/usr/local/bin/registry-gc.sh', undefined],
    ['run-garbage-collect-now', undefined],
    // More than one command, or anything a shell would expand: nothing of it runs in check mode.
    ['systemctl stop docker-registry && docker-registry garbage-collect /etc/docker/registry/config.yml', undefined],
    ['docker-registry garbage-collect /etc/docker/registry/config.yml; rm -rf /var/lib/docker-registry', undefined],
    ['docker-registry garbage-collect $CONFIG', undefined],
    ['docker-registry garbage-collect `cat /etc/registry-config-path`', undefined],
    ['docker-registry garbage-collect /etc/docker/registry/config.yml | tee /tmp/gc.log', undefined],
    ['docker-registry garbage-collect /etc/docker/registry/*.yml', undefined],
    ['docker-registry garbage-collect /etc/x.yml\nreboot', undefined],
    ["docker-registry garbage-collect '/srv/my registry/config.yml'", "docker-registry garbage-collect --dry-run '/srv/my registry/config.yml'"],
    [
      'sudo -n docker-registry garbage-collect "/etc/docker/registry/config.yml"',
      'sudo -n docker-registry garbage-collect --dry-run /etc/docker/registry/config.yml',
    ],
  ])('%s → %s', (command, expected) => {
    expect(dryRunCommand({ command })).toBe(expected);
  });

  it('prefers dry_run_command when set', () => {
    expect(dryRunCommand({ command: '/usr/local/bin/registry-gc.sh', dry_run_command: '/usr/local/bin/registry-gc.sh --check' })).toBe(
      '/usr/local/bin/registry-gc.sh --check',
    );
  });
});

// Captured from distribution 2.8.2's `docker-registry garbage-collect --dry-run CONFIG --delete-untagged`.
const DRY_RUN_OUTPUT = `a/b
a/b: marking manifest sha256:${hex('d')} 
a/b: marking blob sha256:${hex('e')}
c
manifest eligible for deletion: sha256:${hex('c')}

9 blobs marked, 2 blobs and 1 manifests eligible for deletion
blob eligible for deletion: sha256:${hex('a')}
blob eligible for deletion: sha256:${hex('b')}
`;

describe('parseCollectorOutput', () => {
  it('reads the counts and the eligible digests', () => {
    expect(parseCollectorOutput(DRY_RUN_OUTPUT)).toEqual({
      markedBlobs: 9,
      blobs: [`sha256:${hex('a')}`, `sha256:${hex('b')}`],
      manifests: [`sha256:${hex('c')}`],
    });
  });

  it('reads a collection with nothing to do', () => {
    expect(parseCollectorOutput('c\nc: marking manifest x\n\n3 blobs marked, 0 blobs and 0 manifests eligible for deletion\n')).toEqual({
      markedBlobs: 3,
      blobs: [],
      manifests: [],
    });
  });

  it('gives up on output without the summary line', () => {
    expect(parseCollectorOutput('failed to garbage collect: open /etc/registry.yml: no such file\n')).toBeUndefined();
  });
});

describe('blob sizes', () => {
  it('finds a blob where the filesystem driver keeps it', () => {
    expect(blobDataPath(`sha256:ab${hex('1').slice(2)}`)).toBe(`blobs/sha256/ab/ab${hex('1').slice(2)}/data`);
  });

  it('builds one du over every blob, from either kind of data_dir', () => {
    expect(blobSizesCommand('/var/lib/docker-registry', [`sha256:${hex('a')}`, `sha256:${hex('b')}`])).toBe(
      'cd /var/lib/docker-registry && { cd docker/registry/v2 2>/dev/null || true; } && du -cb ' +
        `blobs/sha256/aa/${hex('a')}/data blobs/sha256/bb/${hex('b')}/data`,
    );
  });

  it.each([
    [`10\tblobs/sha256/aa/x/data\n32\tblobs/sha256/bb/y/data\n42\ttotal\n`, 42],
    ['0\ttotal\n', 0],
    ['du: cannot access blobs/x: No such file or directory\n', undefined],
  ])('du total of %j is %s', (stdout, total) => {
    expect(parseDuTotal(stdout)).toBe(total);
  });
});
