// Input files must be UTF-8: anything else is refused at its first bad byte, with a position, instead of being decoded into
// replacement characters that would end up in image names, commands or passwords.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8 } from '../../src/load/utf8.js';
import { runCli } from '../support/cli.js';

const PLAY = '- name: Pull\n  hosts: all\n  steps: [pull]\n';

function files(inventory: Buffer | string, play: Buffer | string = PLAY): { dir: string; inv: string; play: string } {
  const dir = mkdtempSync(join(tmpdir(), 't-encoding-'));
  writeFileSync(join(dir, 'inv.yml'), inventory);
  writeFileSync(join(dir, 'play.yml'), play);
  return { dir, inv: join(dir, 'inv.yml'), play: join(dir, 'play.yml') };
}

describe('firstInvalidUtf8', () => {
  it('agrees with a strict decoder on any bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        let valid = true;
        try {
          strict.decode(bytes);
        } catch {
          valid = false;
        }
        const bad = firstInvalidUtf8(bytes);
        expect(bad === undefined).toBe(valid);
        // Everything before the offset it names is itself valid.
        if (bad !== undefined) expect(() => strict.decode(bytes.subarray(0, bad))).not.toThrow();
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts any string encoded as UTF-8, and names the first stray byte in it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ maxLength: 5 }), (head, tail) => {
        const good = Buffer.from(head, 'utf8');
        expect(firstInvalidUtf8(good)).toBeUndefined();
        expect(firstInvalidUtf8(Buffer.concat([good, Buffer.from([0xff]), Buffer.from(tail)]))).toBe(good.length);
      }),
    );
  });

  it('refuses overlongs, surrogates and code points past U+10FFFF', () => {
    for (const bytes of [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(0);
    }
  });
});

describe('validate refuses files that are not UTF-8', () => {
  it('a Latin-1 inventory: positioned at the byte, exit 5', async () => {
    const latin1 = Buffer.from('all:\n  hosts:\n    caf\xe9: { docker: unix:///run/docker.sock }\n', 'latin1');
    const { inv, play } = files(latin1);
    const r = await runCli('validate', play, '-i', inv);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${inv}:3:8: error: The inventory is not UTF-8: byte 0xE9 at offset 21 (was it saved as Latin-1 or Windows-1252?)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a UTF-16 playbook', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PLAY, 'utf16le')]);
    const { inv, play } = files('all:\n  hosts:\n    a: {}\n', utf16);
    const r = await runCli('validate', play, '-i', inv);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${play}: error: The playbook is UTF-16; save it as UTF-8`);
  });

  it('an -e @file in Windows-1252', async () => {
    const { dir, inv, play } = files('all:\n  hosts:\n    a: {}\n');
    writeFileSync(join(dir, 'vars.yml'), Buffer.from('note: \x93quoted\x94\n', 'latin1'));
    const r = await runCli('validate', play, '-i', inv, '-e', `@${join(dir, 'vars.yml')}`);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${join(dir, 'vars.yml')}:1:7: error: The -e variables file is not UTF-8: byte 0x93 at offset 6`);
  });

  it('a UTF-8 file with a byte order mark and non-ASCII names loads', async () => {
    const { inv, play } = files('\ufeffall:\n  vars: { registry: "127.0.0.1:5055" }\n  hosts:\n    café: { docker: { host: "unix:///run/docker.sock" } }\n');
    const r = await runCli('validate', play, '-i', inv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
