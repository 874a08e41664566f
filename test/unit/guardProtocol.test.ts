// The replacement protocol's one table test: every state the three names of a replaced container can be in, decided by the
// TypeScript rules (guardOutcome) and acted on by the guard's real shell against a stand-in `docker`, in one guard run that
// watches one container per state. Both must leave the same names and log the same lines.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUARD_SCRIPT } from '../../src/containers/guardScript.js';
import { GUARD_RULES, guardOutcome, guardRule, roleNames, type NameState, type ReplacementState, type Role } from '../../src/containers/replacementProtocol.js';

/** The stand-in's container states: `RUNNING/HEALTH`, as the guard's `serves` reads them. */
const SERVING = ['true/', 'true/healthy'];
const NOT_SERVING = ['true/starting', 'false/'];
const ANY = [undefined, ...SERVING, ...NOT_SERVING];

const FAKE_DOCKER = `#!/bin/sh
case $1 in
  inspect) f="$STATE/c/$(eval echo \\\${$#})"; [ -f "$f" ] || exit 1; case "$*" in *-f*) cat "$f" ;; esac ;;
  rename) [ -f "$STATE/c/$2" ] && [ ! -f "$STATE/c/$3" ] && mv "$STATE/c/$2" "$STATE/c/$3" ;;
  stop) f="$STATE/c/$(eval echo \\\${$#})"; [ -f "$f" ] && echo "false/" > "$f" ;;
  start) f="$STATE/c/$(eval echo \\\${$#})"; [ -f "$f" ] && echo "true/" > "$f" ;;
  rm) echo "the guard never removes" >&2; exit 9 ;;
  *) exit 2 ;;
esac
`;

const stateOf = (file: string | undefined): NameState => (file === undefined ? 'missing' : SERVING.includes(file) ? 'serves' : 'down');

interface Case {
  container: string;
  files: Record<Role, string | undefined>;
  ran: boolean;
}

/** Every combination: the name and the spare in any of six states, the parked original missing, stopped or (left) running. */
function everyCase(): Case[] {
  const cases: Case[] = [];
  for (const name of ANY)
    for (const parked of [undefined, 'false/', 'true/'])
      for (const spare of ANY) for (const ran of [true, false]) cases.push({ container: `c${cases.length}`, files: { name, parked, spare }, ran });
  return cases;
}

const stateIn = (files: Record<Role, string | undefined>): ReplacementState => ({
  name: stateOf(files.name),
  parked: stateOf(files.parked),
  spare: stateOf(files.spare),
});

describe('the replacement protocol', () => {
  const cases = everyCase();

  it('the guard shell and the TypeScript rules leave the same names and log the same lines, in every state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshen-protocol-'));
    for (const sub of ['bin', 'c', 'g/k.n']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'bin', 'docker'), FAKE_DOCKER);
    chmodSync(join(dir, 'bin', 'docker'), 0o755);
    for (const { container, files } of cases)
      for (const role of ['name', 'parked', 'spare'] as const) {
        const file = files[role];
        if (file !== undefined) writeFileSync(join(dir, 'c', roleNames(container)[role]), `${file}\n`);
      }
    const guardDir = join(dir, 'g', 'k.n');
    writeFileSync(join(guardDir, 'names'), cases.map((c) => `${c.container} ${c.ran ? 1 : 0}\n`).join(''));
    writeFileSync(join(guardDir, 'deadline'), '0\n');
    writeFileSync(join(guardDir, 'guard.sh'), GUARD_SCRIPT);
    const before = readdirSync(join(dir, 'c')).length;
    execFileSync('sh', [join(guardDir, 'guard.sh'), guardDir], { env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, STATE: dir } });

    // It exits once it acted, having removed nothing.
    expect(existsSync(guardDir)).toBe(false);
    expect(readdirSync(join(dir, 'c'))).toHaveLength(before);
    const read = (name: string): string | undefined => (existsSync(join(dir, 'c', name)) ? readFileSync(join(dir, 'c', name), 'utf8').trim() : undefined);
    const expectedLog: string[] = [];
    for (const { container, files, ran } of cases) {
      const outcome = guardOutcome(container, stateIn(files), ran);
      const names = roleNames(container);
      const after = stateIn({ name: read(names.name), parked: read(names.parked), spare: read(names.spare) });
      expect({ container, files, ran, rule: outcome.rule, after }).toEqual({ container, files, ran, rule: outcome.rule, after: outcome.after });
      expectedLog.push(...outcome.log);
    }
    const logged = readFileSync(join(dir, 'g', 'k.log'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.replace(/^\S+ /, ''));
    expect(logged.slice(0, 2)).toEqual([
      `guarding ${cases.map((c) => `${c.container} ${c.ran ? 1 : 0}`).join(' ')} `,
      'deadline passed: freshen did not come back',
    ]);
    expect(logged.slice(2)).toEqual(expectedLog);
  }, 60_000);

  it('puts back every parked original that ran and that nothing serves for, unless two replacements leave the choice to the next run', () => {
    for (const { container, files, ran } of cases) {
      const state = stateIn(files);
      const outcome = guardOutcome(container, state, ran);
      if (state.parked === 'missing') expect(outcome.after.parked, container).toBe('missing');
      else if (ran && outcome.rule !== 'two-replacements') expect(outcome.after.name, `${container} ${JSON.stringify(state)} ${outcome.rule}`).toBe('serves');
      // Never two instances serving under the name and the spare once the guard is done with a container it put back.
      if (outcome.rule !== 'replacement-serves' && outcome.rule !== 'two-replacements' && outcome.rule !== 'nothing-parked')
        expect([outcome.after.name, outcome.after.spare].filter((s) => s === 'serves').length, container).toBeLessThanOrEqual(1);
    }
  });

  it('every rule decides some state: none is dead', () => {
    const used = new Set(cases.map(({ files }) => guardRule(stateIn(files)).id));
    expect([...used].sort()).toEqual(GUARD_RULES.map((rule) => rule.id).sort());
  });
});

const WHO: Record<Role, string> = { name: '`NAME`', parked: '`NAME.freshen-old`', spare: '`NAME.freshen-new`' };
const CONDITION: Record<NameState | 'present', string> = { missing: 'missing', serves: 'serves', down: 'does not serve', present: 'exists' };

/** The docs' row for a rule: its conditions per name, its actions, and why. */
function ruleRow(rule: (typeof GUARD_RULES)[number]): string {
  const when = (['name', 'parked', 'spare'] as const).map((role) => (rule.when[role] === undefined ? 'any' : CONDITION[rule.when[role]!]));
  const does = rule.then
    .filter((action) => action.do !== 'log')
    .map((action) => {
      if (action.do === 'stop') return `stops ${WHO[action.who]}`;
      if (action.do === 'rename') return `renames ${WHO[action.from]} to ${WHO[action.to]}`;
      return 'starts it if it ran before';
    });
  return `| \`${rule.id}\` | ${when.join(' | ')} | ${does.length === 0 ? 'nothing' : does.join(', ')} | ${rule.why} |`;
}

describe('docs/rollouts.md', () => {
  it("lists the guard's rules as they are, in their order", () => {
    const docs = readFileSync(new URL('../../docs/rollouts.md', import.meta.url), 'utf8');
    const table = [
      '| rule | `NAME` | `NAME.freshen-old` | `NAME.freshen-new` | the guard | why |',
      '|---|---|---|---|---|---|',
      ...GUARD_RULES.map(ruleRow),
    ].join('\n');
    expect(docs).toContain(table);
  });
});
