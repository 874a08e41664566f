// The loaders under fuzz: thousands of inventories, playbooks and -e values mutated from the shipped ones with YAML's sharp
// edges (aliases, merge keys, tags, flow brackets, tabs, huge numbers, control and bidi characters, cut-off lines). Each must
// end in diagnostics with exit 5 or load with exit 0: never an exception, a stack trace, "undefined" or a hang. A fixed
// number of inputs, not a time budget, so a loaded machine tests as much as a quiet one (only slower): FUZZ_RUNS in the unit
// suite; FRESHEN_FUZZ_RUNS=20000 for a deeper search by hand.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const FUZZ_RUNS = Number(process.env.FRESHEN_FUZZ_RUNS ?? 600);

const SEEDS = {
  // The second seed is the shape `scripts/lab.sh up` writes, inline: the unit suite runs in a clone with no lab.
  inventory: [
    readFileSync('inventories/example.yml', 'utf8'),
    [
      'all:',
      '  vars:',
      '    registry: 127.0.0.1:5000',
      '    timeouts: { ssh: 10s, engine: 20s }',
      '  children:',
      '    registries: { hosts: { registry1: { registry_url: "http://127.0.0.1:5000" } } }',
      '    builders: { hosts: { build1: { docker: { host: "unix:///tmp/lab/build1.sock" } } } }',
      '    web:',
      '      hosts:',
      '        web1: { docker: { host: "ssh://freshen@127.0.0.1:2222" }, ssh: { identity_file: /tmp/lab/id, known_hosts: /tmp/lab/kh } }',
      '        web2: { docker: { host: "unix:///tmp/lab/web2.sock" } }',
      '',
    ].join('\n'),
  ],
  playbook: ['playbooks/freshen.yml', 'playbooks/demo.yml'].map((file) => readFileSync(file, 'utf8')),
};

/** Text YAML and freshen treat specially, spliced into the seeds. */
const SHARP = [
  '*defaults',
  '&defaults ',
  '<<: *defaults',
  '<<: 5',
  '<<: [*a, *b]',
  ': ',
  '- ',
  '{',
  '}',
  '[',
  ']',
  "'",
  '"',
  '!!binary ',
  '!!set ',
  '!custom ',
  '%YAML 1.1\n',
  '---\n',
  '...\n',
  '\t',
  '# ',
  'null',
  '~',
  '1e999',
  '-1',
  '0x10',
  '99999999999999999999',
  '30d',
  '0s',
  '100%',
  '101%',
  'true',
  'yes',
  '\u0000',
  '\u001b[2J',
  '\u202e',
  '\r',
  '😀',
  'x'.repeat(5000),
  '? ',
  '|\n',
  '>-\n',
  'unix:///',
  'tcp://[::1',
  'ssh://u@h:99999',
  'password: hunter2hunter2',
  'password_env: NOPE_NOT_SET',
  '@/nonexistent',
  'steps: []',
  'hosts: "!all"',
  'serial: 0',
];

type Mutation = (text: string) => string;

const at = (text: string, fraction: number): number => Math.floor(fraction * text.length);
const lines = (text: string): string[] => text.split('\n');

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...SHARP)).map(([where, token]) => (t: string) => {
    const i = at(t, where);
    return t.slice(0, i) + token + t.slice(i);
  }),
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 40 }), fc.string({ maxLength: 8 }))
    .map(([where, span, replacement]) => (t: string) => {
      const i = at(t, where);
      return t.slice(0, i) + replacement + t.slice(i + span);
    }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 })).map(([line, count]) => (t: string) => {
    const all = lines(t);
    all.splice(line % all.length, count);
    return all.join('\n');
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([from, to]) => (t: string) => {
    const all = lines(t);
    all.splice(to % all.length, 0, all[from % all.length]!);
    return all.join('\n');
  }),
  fc.tuple(fc.nat(), fc.integer({ min: -4, max: 4 })).map(([line, shift]) => (t: string) => {
    const all = lines(t);
    const i = line % all.length;
    all[i] = shift >= 0 ? ' '.repeat(shift) + all[i] : all[i]!.slice(-shift);
    return all.join('\n');
  }),
  fc.double({ min: 0, max: 1, noNaN: true }).map((where) => (t: string) => t.slice(0, at(t, where))),
);

const mutated = (seeds: string[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([seed, steps]) => steps.reduce((t, m) => m(t), seed));

const extraVar: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('rollout_tag', 'registry', 'password', 'docker', 'x'), fc.string({ maxLength: 12 })).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.constantFrom(...SHARP), fc.constantFrom(...SHARP)).map(([a, b]) => `{${a}${b}}`),
  fc.string({ maxLength: 16 }),
);

describe('the loaders under fuzz', () => {
  const dir = mkdtempSync(join(tmpdir(), 't-fuzz-'));
  const inventoryFile = join(dir, 'inventory.yml');
  const playbookFile = join(dir, 'playbook.yml');
  // The shipped example names a CA file relative to the inventory; the fuzzed copies live elsewhere, which is itself an input.

  it('every mutated input ends in exit 0 or exit 5 with diagnostics; never a crash, a stack trace or "undefined"', async () => {
    let runs = 0;
    const codes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        mutated(SEEDS.inventory),
        mutated(SEEDS.playbook),
        fc.array(extraVar, { maxLength: 2 }),
        fc.boolean(),
        async (inv, play, extra, list) => {
          writeFileSync(inventoryFile, inv);
          writeFileSync(playbookFile, play);
          const args = list ? ['inventory', '--list', '-i', inventoryFile] : ['validate', playbookFile, '-i', inventoryFile];
          const r = await runCli(...args, ...extra.flatMap((e) => ['-e', e]));
          runs += 1;
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
          const all = r.stdout + r.stderr;
          expect([0, 5], all).toContain(r.code);
          expect(all).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
          expect(all).not.toContain('[object Object]');
          if (!`${inv}${play}${extra.join('')}`.includes('undefined')) expect(all).not.toMatch(/\bundefined\b/);
          if (r.code === 5) expect(r.stderr).toMatch(/error: /);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
    // The fuzzer must both break the inputs and leave some loadable, or it tests only one side.
    expect(runs).toBe(FUZZ_RUNS);
    expect(codes.get(5) ?? 0).toBeGreaterThan(runs / 10);
    expect(codes.get(0) ?? 0).toBeGreaterThan(runs / 400);
  }, 600_000); // a guard against a hang only: the runs take seconds on a quiet machine, and a loaded one is slower
});
